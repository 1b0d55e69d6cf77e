"""The fault tests' figure: after the session, one line with the faults injected, postings sent
and stored, rows lost (also in test-output/faults.json, where the README's figures come from)."""
from tests.functional.faults import LEDGER


def pytest_terminal_summary(terminalreporter):
    if LEDGER.total or LEDGER.postings_sent:
        terminalreporter.write_sep("-", "faults")
        terminalreporter.write_line(LEDGER.line())
