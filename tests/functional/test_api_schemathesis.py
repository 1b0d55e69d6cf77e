"""Hostile input in CI (issue 14 §5): schemathesis over every operation of /api/schema/, as the
clerk and as the superuser, against a real server process (gunicorn, config/gunicorn.py) on the
PostgreSQL test database with a small seeded book, so operations hit real policies, claims,
ledger rows, pending changes and runs (fuzz dictionaries of the seeded ids, mixed with generated
values).

Bounded and deterministic: a fixed seed, derandomised generation, no example database, no
shrinking, MAX_EXAMPLES cases per operation (examples and fuzzing phases; the coverage phase
alone sends thousands of requests), the two roles in two schemathesis processes side by side.
The checks:
* `not_a_server_error` — no 5xx;
* `response_schema_conformance`, `status_code_conformance`, `content_type_conformance` — every
  answer is one the schema describes (a refusal too: 400/403/404/409 are documented);
* `positive_data_acceptance` — a schema-valid request is accepted (2xx), or refused only for a
  reason the schema states: authentication and role (401/403), a missing object (404), a state
  conflict (409), or a business rule (400, documented as such). The hook module
  (tests/functional/schemathesis_hooks.py) adds `schema_valid_input_not_refused_as_malformed`:
  a 400 to a schema-valid request must never carry DRF's own field-validation messages ("not a
  valid date", "ensure this field has no more than …"), which would mean the serializer refuses
  input the schema allows.

The figures (operations, requests, server errors, violations) go to test-output/schemathesis.json
for the README's trust section; the server's access log gives the requests and 5xx independently
of schemathesis.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from tests.conftest import ROOT
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

# transaction=True (the server process must see the book), no serialized_rollback: it reloads the
# migrations' rows at setup and collides with the content types a previous transactional test's
# flush re-created; the seeded reference data (regimes, the seed tariff) is restored in _seed_book.
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 10
BUDGET_SECONDS = 600  # a safety stop: on an idle 2-core machine the two runs take about a minute
SEED = 14
ROLES = ("clerk", "admin")
CHECKS = ["not_a_server_error", "response_schema_conformance", "status_code_conformance",
          "content_type_conformance", "positive_data_acceptance", "schema_valid_input_not_refused_as_malformed"]
OUT = ROOT / "test-output"
SERVER_ERROR = "ST101"  # schemathesis's failure code of a 5xx
VALUATION = date(2024, 12, 31)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_book() -> dict:
    """The book the fuzzer walks: users with tokens, a generated book (policies, premium and claim
    ledgers), a claim change waiting above the clerk's authority, a handler authority, an approved
    run with its data checks, a diyeh amount. Returns the ids for the fuzz dictionaries."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from claims import services as claims
    from claims.models import Claim, ClaimTransaction, HandlerAuthority, PendingClaimChange
    from core.roles import system_actor
    from core.services import demo_users_ensure
    from policies.models import Policy, PremiumTransaction
    from reserving import services as runs
    from reserving.models import Regime, ReserveRun, RunDataCheck
    from tariff.models import DiyehAmount, TariffVersion

    # what the data migrations seed, back after an earlier transactional test's flush
    runs.regimes_ensure_seeded()
    import_module("tariff.migrations.0002_seed_tariff").seed_load(django_apps, None)

    system = system_actor()
    demo_users_ensure(actor=system)
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["clerk", "actuary", "approver",
                                                                                 "admin"])}
    tokens = {role: Token.objects.get_or_create(user=users[role])[0].key for role in ROLES}
    make_book(seed=14, policies=15, recorded_at=timezone.now() - timedelta(days=2))

    claim = Claim.objects.filter(status="open").order_by("claim_number").first()
    currency = claim.policy.currency
    claims.handler_authority_set(user=users["clerk"], currency=currency, reserve_limit=Decimal("10.00"),
                                 payment_limit=Decimal("10.00"), actor=users["admin"])
    pending = claims.claim_reserve_change(claim=claim, cost_type="indemnity", accounting_date=VALUATION,
                                          amount=Decimal("5000.00"), actor=users["clerk"])
    assert isinstance(pending, PendingClaimChange), pending

    run = runs.run_create(valuation_date=VALUATION, actor=users["actuary"])
    runs.run_compute(run=run, actor=users["actuary"])
    run.refresh_from_db()
    for check in run.data_checks.filter(severity="warning"):
        runs.run_check_acknowledge(check=check, actor=users["actuary"])
    runs.run_approve(run=runs.run_submit(run=run, actor=users["actuary"]), actor=users["approver"])
    draft = runs.run_create(valuation_date=VALUATION - timedelta(days=92), actor=users["actuary"])
    if not DiyehAmount.objects.exists():
        from tariff.services import diyeh_year_add

        diyeh_year_add(jalali_year=1403, amount=Decimal("12000000000.00"), actor=system)

    return {
        "tokens": tokens,
        "ids": {
            "policy_number": sorted(Policy.objects.values_list("policy_number", flat=True))[:20],
            "claim_number": sorted(Claim.objects.values_list("claim_number", flat=True))[:20],
            "transaction_id": (list(PremiumTransaction.objects.values_list("transaction_id", flat=True)[:10])
                               + list(ClaimTransaction.objects.values_list("transaction_id", flat=True)[:10])),
            "change_id": list(PendingClaimChange.objects.values_list("id", flat=True)),
            "authority_id": list(HandlerAuthority.objects.values_list("id", flat=True)),
            "run_id": list(ReserveRun.objects.values_list("id", flat=True)) + [draft.pk],
            "check_id": [str(pk) for pk in RunDataCheck.objects.values_list("id", flat=True)[:10]] or ["1"],
            "regime_id": list(Regime.objects.values_list("id", flat=True)),
            "code": list(TariffVersion.objects.values_list("code", flat=True)) or ["none"],
            "jalali_year": list(DiyehAmount.objects.values_list("jalali_year", flat=True)),
        },
    }


def _toml_list(values) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _config(ids: dict) -> str:
    """schemathesis.toml: the fuzz dictionaries of real ids, bound to the path parameters (90% of
    the cases take a real id, the rest a generated one, which must come back 404 or 400)."""
    by_param = {
        "policy_number": "policy_number", "claim_number": "claim_number", "transaction_id": "transaction_id",
        "run_id": "run_id", "check_id": "check_id", "code": "code", "jalali_year": "jalali_year",
    }
    lines = [f"seed = {SEED}", "", "[generation]", "deterministic = true", 'database = "none"',
             f"max-examples = {MAX_EXAMPLES}", 'mode = "all"', "",
             "[phases]", "stateful.enabled = false", "", "[checks]"]
    lines += ['positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409"]', ""]
    for name, values in ids.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {_toml_list(values)}", ""]
    lines.append("[parameters]")
    for param, dictionary in by_param.items():
        if ids.get(dictionary):
            lines.append(f'"path.{param}" = {{ dictionary = "{dictionary}", probability = 0.9 }}')
    # `{id}` is a pending change, an authority, a run or a regime depending on the path.
    lines.append("")
    for path_re, dictionary in ((r"^/api/v1/claim-changes/", "change_id"), (r"^/api/v1/claim-authorities/", "authority_id"),
                                (r"^/api/v1/reserve-runs/", "run_id"), (r"^/api/v1/regimes/", "regime_id")):
        if ids.get(dictionary):
            lines += ["[[operations]]", f"include-path-regex = {json.dumps(path_re)}",
                      f'parameters = {{ "path.id" = {{ dictionary = "{dictionary}", probability = 0.9 }} }}', ""]
    return "\n".join(lines) + "\n"


@pytest.fixture
def api_server(tmp_path):
    """gunicorn (config/gunicorn.py, DEBUG off) on a free 127.0.0.1 port, pointed at the test
    database and the tests' Redis broker, with no worker: a run the fuzzer creates, computes or
    reruns is queued, not computed (a computation takes seconds, and the worker side has tests of
    its own); the queue is emptied afterwards so no later test's worker receives it."""
    from django.conf import settings
    from django.db import connection

    port = _free_port()
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:"
                     f"{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL, GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4", DEBUG="0", GUNICORN_ACCESSLOG=str(tmp_path / "access.log"), GUNICORN_LOGLEVEL="warning",
    )
    OUT.mkdir(exist_ok=True)
    log = open(OUT / "schemathesis-server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.py",
                             "--access-logformat", '%(h)s "%(r)s" %(s)s %(M)sms', "config.wsgi"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("gunicorn exited at start; see test-output/schemathesis-server.log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("gunicorn did not listen within 60 s")
    try:
        yield base, tmp_path / "access.log"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("celery", "unacked", "unacked_index")


def _schemathesis_start(base: str, token: str, config: Path, role: str) -> tuple[subprocess.Popen, Path]:
    """One schemathesis run (a process of its own: the two roles run side by side, one core each)."""
    report = OUT / f"schemathesis-{role}.report.json"
    report.unlink(missing_ok=True)
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.functional.schemathesis_hooks", PYTHONPATH=str(ROOT))
    cmd = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(config), "--no-color", "run",
           f"{base}/api/schema/?format=json", "--url", base, "-H", f"Authorization: Token {token}",
           "--checks", ",".join(CHECKS), "--phases", "examples,fuzzing", "--workers", "1", "--no-shrink",
           "--continue-on-failure", "--request-timeout", "60", "--report", "json", "--report-json-path", str(report),
           "--output-truncate", "false"]
    out = open(OUT / f"schemathesis-{role}.txt", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    return proc, report


def _dump_database_activity(role: str) -> None:
    """What the server's connections were doing when a run overran (a lock wait shows here)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid, state, wait_event_type, wait_event, now() - query_start, left(query, 300) "
                       "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        rows = cursor.fetchall()
    (OUT / f"schemathesis-{role}-activity.txt").write_text("\n".join(map(repr, rows)) + "\n")


def _schemathesis_report(proc: subprocess.Popen, report: Path, role: str, deadline: float) -> dict:
    try:
        proc.wait(timeout=max(deadline - time.time(), 1))
    except subprocess.TimeoutExpired:
        _dump_database_activity(role)
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail(f"schemathesis as {role} ran past the time budget; see test-output/schemathesis-{role}.txt")
    assert report.exists(), f"schemathesis wrote no report; see test-output/schemathesis-{role}.txt"
    data = json.loads(report.read_text())
    if not data.get("operations"):  # it ran no operation (e.g. the schema did not load): say why
        text = (OUT / f"schemathesis-{role}.txt").read_text(errors="replace")
        pytest.fail(f"schemathesis as {role} tested no operation (exit {proc.returncode}):\n{text[-4000:]}")
    return data


_ACCESS = re.compile(r'"[A-Z]+ [^"]*" (\d{3}) ')


def _access_figures(access_log: Path) -> tuple[int, int]:
    statuses = [int(m.group(1)) for m in map(_ACCESS.search, access_log.read_text().splitlines()) if m]
    return len(statuses), sum(1 for s in statuses if s >= 500)


def test_schema_fuzzing_finds_no_server_error_and_no_contract_violation(api_server, tmp_path, eager_celery):
    base, access_log = api_server
    book = _seed_book()
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(book["ids"]))
    started = time.time()
    per_role = {}
    runs = {role: _schemathesis_start(base, book["tokens"][role], config, role) for role in ROLES}
    deadline = time.time() + BUDGET_SECONDS
    for role, (proc, report_path) in runs.items():
        report = _schemathesis_report(proc, report_path, role, deadline)
        failures = {f["code"]: f["count"] for f in report["failures"]}
        per_role[role] = {
            "operations": report["operations"]["tested"],
            "operations_total": report["operations"]["total"],
            "test_cases": report["test_cases"]["generated"],
            "server_errors": failures.get(SERVER_ERROR, 0),
            "violations": sum(c for code, c in failures.items() if code != SERVER_ERROR),
            "failures": report["failures"],
            "errors": report["errors"],
            "exit_code": report["exit_code"],
        }
    requests, server_errors = _access_figures(access_log)
    figures = {
        "schemathesis": report["schemathesis_version"], "seed": SEED, "max_examples": MAX_EXAMPLES,
        "checks": CHECKS, "roles": list(ROLES),
        "operations": max(r["operations_total"] for r in per_role.values()),
        "operations_covered": min(r["operations"] for r in per_role.values()),
        "test_cases": sum(r["test_cases"] for r in per_role.values()),
        "requests": requests,
        "server_errors": server_errors,
        "schema_violations": sum(r["violations"] for r in per_role.values()),
        "seconds": round(time.time() - started, 1),
        "per_role": per_role,
    }
    (OUT / "schemathesis.json").write_text(json.dumps(figures, indent=2) + "\n")
    summary = {k: v for k, v in figures.items() if k != "per_role"}
    for role, r in per_role.items():
        assert not r["errors"], (role, r["errors"], f"see test-output/schemathesis-{role}.txt")
        assert r["operations"] == r["operations_total"], (role, "not every operation was tested", summary)
        assert r["server_errors"] == 0 and r["violations"] == 0, (
            role, r["failures"], f"see test-output/schemathesis-{role}.txt")
    assert server_errors == 0, summary
