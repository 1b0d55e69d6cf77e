"""Reserve summary CSV: one row per segment and currency, money as decimal strings.

In the language asked for (issue 16 §2; the user's, passed down by the page or the job): in
Russian or Persian the header row and the segment and method cells carry their names; in English,
the default, the file is the machine layout, headers and cells as codes, byte for byte what it
was. Amounts, dates, currency, group and regime codes are the same in every language, so the same
run and language always give the same bytes; the language is an argument, never the thread's
ambient one, so a command or a script always gets the codes."""
from __future__ import annotations

import io
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.csvsafe import TextSafeWriter
from core.labels import method_name, segment_name
from core.money import money_round
from reporting.exports.data import RESERVE_TYPES, ReportData

CEDED = tuple(f"ceded_{t}" for t in RESERVE_TYPES)
# the reinsurers' share and the net total come after the gross columns (issue 17), so a reader of
# the earlier layout finds every column where it was
COLUMNS = ["run_id", "valuation_date", "regime", "segment", "currency", "accounting_group", *RESERVE_TYPES, "total",
           "ibnr_method", "input_fingerprint", *CEDED, "ceded_total", "net_total"]
NUMERIC = ("run_id", *RESERVE_TYPES, "total", *CEDED, "ceded_total", "net_total")  # the rest is text (core/csvsafe.py)
# the column names in Russian and Persian: the words the run's pages use for the same figures
HEADERS = {
    "run_id": _("run"), "valuation_date": _("valuation date"), "regime": _("regime"), "segment": _("segment"),
    "currency": _("currency"), "accounting_group": _("accounting group"),
    "upr": _("UPR"), "premium_deficiency": _("premium deficiency reserve"), "rbns": _("RBNS"), "ibnr": _("IBNR"),
    "ulae": _("ULAE"), "total": _("total"), "ibnr_method": _("IBNR method"), "input_fingerprint": _("input fingerprint"),
    "ceded_upr": _("reinsurers' share of UPR"), "ceded_premium_deficiency": _("reinsurers' share of premium deficiency"),
    "ceded_rbns": _("reinsurers' share of RBNS"), "ceded_ibnr": _("reinsurers' share of IBNR"),
    "ceded_ulae": _("reinsurers' share of ULAE"), "ceded_total": _("reinsurers' share, total"), "net_total": _("net total"),
}
# Excel reads a CSV without a byte-order mark in the system's code page: Cyrillic and Persian
# would come out garbled, so the named layouts start with one
BOM = "\ufeff"


def named_layout(language: str | None) -> bool:
    """Whether the summary carries names (any language but English) rather than codes."""
    return not (language or "en").lower().startswith("en")


def write_summary_csv(data: ReportData, *, language: str = "en") -> bytes:
    named = named_layout(language)
    with translation.override(language if named else "en"):
        return _written(data, named)


def _written(data: ReportData, named: bool) -> bytes:
    header = {c: str(HEADERS[c]) if named else c for c in COLUMNS}
    buf = io.StringIO()
    if named:
        buf.write(BOM)
    w = TextSafeWriter(buf, [header[c] for c in COLUMNS], numeric=[header[c] for c in NUMERIC])
    w.writeheader()
    for r in sorted(data.reserves, key=lambda x: (x.currency, x.segment)):
        amounts = [money_round(r.amount(t), r.currency) for t in RESERVE_TYPES]
        ceded = [money_round(r.ceded(t), r.currency) for t in RESERVE_TYPES]
        total, ceded_total = sum(amounts, Decimal(0)), sum(ceded, Decimal(0))
        segment = segment_name(r.segment) if named else r.segment
        method = method_name(r.ibnr_method) if named else r.ibnr_method
        w.writerow([data.run_id, data.valuation_date.isoformat(), data.regime, segment, r.currency, r.accounting_group,
                    *map(str, amounts), str(money_round(r.total, r.currency)), method, data.input_fingerprint,
                    *map(str, ceded), str(ceded_total), str(total - ceded_total)])
    return buf.getvalue().encode("utf-8")
