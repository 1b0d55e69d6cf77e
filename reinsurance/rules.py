"""The rules a treaty must keep, as pure functions (the admin, the service and the book import
apply the same ones). Each refusal is a DomainError naming its field."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.errors import DomainError
from core.money import MINOR_UNITS, CurrencyError, currency_check, money_round

KINDS = ("quota_share", "excess_of_loss")
FIELDS = ("code", "kind", "segment", "underwriting_year", "currency", "ceded_percent", "ceding_commission_percent",
          "retention", "limit", "reinsurer")
HUNDRED = Decimal(100)


def _decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise DomainError(f"{field} {value!r} is not a number", field=field) from exc


def _percent(value, field: str, *, required: bool) -> Decimal | None:
    p = _decimal(value, field)
    if p is None:
        if required:
            raise DomainError(f"a quota share needs {field}", field=field)
        return None
    if not Decimal(0) <= p <= HUNDRED:
        raise DomainError(f"{field} {value} is outside 0–100", field=field)
    return p


def treaty_check(treaty: dict, *, segments: set[str], others: list[dict]) -> dict:
    """The treaty's fields, typed and normalised; DomainError on the first broken rule.
    `others`: the other treaties in force (the database's and a book's earlier rows)."""
    t = {f: treaty.get(f) for f in FIELDS}
    t["code"] = (t["code"] or "").strip()
    if not t["code"]:
        raise DomainError("a treaty needs a code", field="code")
    if t["kind"] not in KINDS:
        raise DomainError(f"unknown kind {t['kind']!r}; expected one of {', '.join(KINDS)}", field="kind")
    if t["segment"] not in segments:
        raise DomainError(f"unknown segment {t['segment']}", field="segment")
    try:
        year = int(t["underwriting_year"])
    except (TypeError, ValueError) as exc:
        raise DomainError(f"underwriting_year {t['underwriting_year']!r} is not a year", field="underwriting_year") from exc
    if not 1900 <= year <= 2999:
        raise DomainError(f"underwriting_year {year} is not a year", field="underwriting_year")
    t["underwriting_year"] = year
    t["reinsurer"] = t["reinsurer"] or ""
    if t["kind"] == "quota_share":
        t["ceded_percent"] = _percent(t["ceded_percent"], "ceded_percent", required=True)
        t["ceding_commission_percent"] = _percent(t["ceding_commission_percent"], "ceding_commission_percent",
                                                  required=False) or Decimal(0)
        for f in ("currency", "retention", "limit"):
            if t[f] not in (None, ""):
                raise DomainError(f"a quota share has no {f}", field=f)
        t["currency"], t["retention"], t["limit"] = "", None, None
    else:
        try:
            t["currency"] = currency_check(t["currency"])
        except CurrencyError as exc:
            raise DomainError(f"an excess of loss needs the currency of its retention and limit: {exc}",
                              field="currency") from exc
        for f in ("ceded_percent", "ceding_commission_percent"):
            if t[f] not in (None, ""):
                raise DomainError(f"an excess of loss has no {f}", field=f)
        t["ceded_percent"] = t["ceding_commission_percent"] = None
        retention, limit = _decimal(t["retention"], "retention"), _decimal(t["limit"], "limit")
        if retention is None or limit is None:
            raise DomainError("an excess of loss needs a retention and a limit",
                              field="retention" if retention is None else "limit")
        places = MINOR_UNITS[t["currency"]]
        for f, v in (("retention", retention), ("limit", limit)):
            if v < 0:
                raise DomainError(f"{f} {v} is below zero", field=f)
            if v != v.quantize(Decimal(1).scaleb(-places)):
                raise DomainError(f"{f} {v} has more decimals than {t['currency']} allows ({places})", field=f)
        if retention > limit:
            raise DomainError(f"retention {retention} is above the limit {limit}", field="retention")
        if limit == 0:
            raise DomainError("limit 0: the treaty would cover nothing", field="limit")
        t["retention"], t["limit"] = retention, limit
    for o in others:
        if o["code"] == t["code"] or o["segment"] != t["segment"] or int(o["underwriting_year"]) != year:
            continue
        if not t["currency"] or not o["currency"] or o["currency"] == t["currency"]:
            raise DomainError(f"overlaps treaty {o['code']}: same segment {t['segment']} and underwriting year {year}"
                              + (f" ({o['currency']})" if o["currency"] else ""), field="segment")
    return t


# --------------------------------------------------------------------------- cessions
# Ceded amounts are derived, never typed (issue 17 §2): these pure functions take the ledgers'
# figures (per claim, per underwriting year) and a treaty row (the fields of FIELDS) and return
# the reinsurers' share, in the currency's minor units. The reads live in reserving.cessions.

def treaty_in_force(treaties: list[dict], *, segment: str, underwriting_year: int, currency: str) -> dict | None:
    """The treaty a policy attaches to: the one of its segment and the year of its inception (a
    quota share whatever the currency; an excess of loss only in its own currency). The rules
    above allow at most one per segment, year and currency."""
    for t in treaties:
        if t["segment"] == segment and int(t["underwriting_year"]) == int(underwriting_year) and (
                t["kind"] == "quota_share" or t["currency"] == currency):
            return t
    return None


def quota_share(treaty: dict | None) -> Decimal:
    """The ceded fraction of a quota share (0.3 for 30%); 0 for no treaty or an excess of loss."""
    if treaty is None or treaty["kind"] != "quota_share":
        return Decimal(0)
    return Decimal(str(treaty["ceded_percent"])) / HUNDRED


def xl_layer(incurred: Decimal, *, retention: Decimal, limit: Decimal) -> Decimal:
    """The part of an amount above the retention, up to the limit (the limit is the claim's
    incurred up to which the reinsurer pays: 4m xs 1m has retention 1m, limit 5m)."""
    return min(max(incurred - retention, Decimal(0)), limit - retention)


def claim_cession(treaty: dict | None, *, paid: Decimal, case: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """(ceded paid, ceded case reserve) of one claim at a date, from its paid to date and its
    case reserve (incurred = paid + case).

    Quota share: each in proportion. Excess of loss: the reinsurer's part of the incurred is the
    layer above the retention; of it, the part that is paid is the layer of the paid to date
    (the reinsurer pays once the insurer's payments pass the retention) and the rest is case
    reserve. Both are monotone in the amount, so the ceded case is never below zero and never
    above the gross case."""
    if treaty is None:
        return money_round(0, currency), money_round(0, currency)
    if treaty["kind"] == "quota_share":
        q = quota_share(treaty)
        return money_round(paid * q, currency), money_round(case * q, currency)
    r, lim = Decimal(str(treaty["retention"])), Decimal(str(treaty["limit"]))
    ceded_incurred = xl_layer(paid + case, retention=r, limit=lim)
    ceded_paid = xl_layer(paid, retention=r, limit=lim)
    return money_round(ceded_paid, currency), money_round(ceded_incurred - ceded_paid, currency)


def ceded_ratio(ceded: Decimal, gross: Decimal, fallback: Decimal = Decimal(0)) -> Decimal:
    """The reinsurers' share of an amount as ceded over gross, within [0, 1]; `fallback` where
    there is no gross to divide by."""
    if gross <= 0:
        return fallback
    return min(max(ceded / gross, Decimal(0)), Decimal(1))


RETENTION_FLOOR = Decimal("0.5")


def retention_coefficient(*, gross_incurred: Decimal, ceded_incurred: Decimal,
                          floor: Decimal = RETENTION_FLOOR) -> Decimal | None:
    """k of the Russian solvency margin (3743-У): net over gross incurred claims of the last
    12 months, at least `floor` (0.5); None when there were no gross incurred claims (k is then
    not derivable from the book)."""
    if gross_incurred <= 0:
        return None
    k = (gross_incurred - ceded_incurred) / gross_incurred
    return max(min(k, Decimal(1)), floor).quantize(Decimal("0.0001"))
