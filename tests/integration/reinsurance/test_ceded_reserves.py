"""Gross, ceded and net reserves in a run (issue 17 §2–3) on the hand-computed book of
cededbook.py: a quota share on individual_occurrence, an excess of loss on clinic_claims_made."""
from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from core.money import money_round

from reserving.cessions import ceded_and_net, retention_k
from reserving.models import ReserveRun
from tests.integration.reinsurance.cededbook import V, make_ceded_book
from tests.integration.reserving.runbook import eager_celery  # noqa: F401 - fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]
D = Decimal


def _run_json() -> dict:
    make_ceded_book()
    out = StringIO()
    call_command("reserve_run", "--valuation-date", V.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue())


def _segment(data, code):
    return next(s for s in data["segments"] if s["segment"] == code and s["currency"] == "RUB")


def test_reserve_run_json_has_ceded_and_net_beside_the_gross_keys():
    data = _run_json()
    assert data["status"] == "computed"
    ind, cln = _segment(data, "individual_occurrence"), _segment(data, "clinic_claims_made")
    keys = {"upr", "rbns", "ibnr", "ulae", "premium_deficiency"}
    for s in (ind, cln):
        assert set(s["ceded"]) == keys and set(s["net"]) == keys
        for k in keys:  # net = gross − ceded to the cent
            assert D(s["net"][k]) == D(s[k]) - D(s["ceded"][k])
    # quota share 30%: UPR 181 000 → 54 300; RBNS 230 000 of which the 2025 year's 150 000 → 45 000
    assert (ind["upr"], ind["ceded"]["upr"], ind["net"]["upr"]) == ("181000.00", "54300.00", "126700.00")
    assert (ind["rbns"], ind["ceded"]["rbns"], ind["net"]["rbns"]) == ("230000.00", "45000.00", "185000.00")
    # excess of loss 4m xs 1m: RBNS 3 500 000, ceded 600 000 (C3) + 1 500 000 (C4) = 2 100 000
    assert (cln["rbns"], cln["ceded"]["rbns"], cln["net"]["rbns"]) == ("3500000.00", "2100000.00", "1400000.00")
    assert (cln["upr"], cln["ceded"]["upr"]) == ("0.00", "0.00")
    assert ind["ceded"]["ulae"] == cln["ceded"]["ulae"] == "0.00"   # ULAE stays with the insurer


def test_ceded_ibnr_follows_the_origins_ratios_and_the_detail_is_stored():
    data = _run_json()
    run = ReserveRun.objects.get(pk=data["run_id"])
    ind = run.segment_results.get(segment="individual_occurrence")
    cln = run.segment_results.get(segment="clinic_claims_made")
    assert ind.cession["treaties"] == ["QS-IND-2025"] and cln.cession["treaties"] == ["XL-CLN-2025"]
    assert ind.cession["years"] == {"2025": {"quota_share": "0.3", "premium": "109500.00",
                                             "ceding_commission": "27375.00", "upr": "54300.00"}}
    assert (ind.cession["paid"], ind.cession["case"]) == ("15000.00", "45000.00")
    assert (cln.cession["paid"], cln.cession["case"]) == ("200000.00", "2100000.00")
    # clinic's reported incurred 4 700 000, of which ceded 2 300 000: the ratio of its IBNR not
    # attributed to an origin; per origin the ceded-to-gross ratio of what it reported
    assert cln.cession["ibnr_ratio"] == "0.489362"
    expected = D(0)
    for o in ind.origins.all():
        detail = ind.cession["origins"][o.origin]
        assert D(detail["ibnr"]) == money_round(o.ibnr * D(detail["ratio"]), "RUB")
        expected += D(detail["ibnr"])
    unattributed = ind.ibnr - sum((o.ibnr for o in ind.origins.all()), D(0))
    assert ind.ceded_ibnr == money_round(expected + unattributed * D(ind.cession["ibnr_ratio"]), "RUB")
    # the quota share: origins of the uncovered 2024 year cede nothing, 2025's 30% (2025Q1 has
    # only C2, of a 2024 policy: 0); so the ceded IBNR is 30% of the 2025Q2–Q4 IBNR
    ratios = {o: d["ratio"] for o, d in ind.cession["origins"].items()}
    assert ratios == {"2024Q3": "0.000000", "2024Q4": "0.000000", "2025Q1": "0.000000", "2025Q2": "0.300000",
                      "2025Q3": "0.300000", "2025Q4": "0.300000"}
    later = {o.origin: o.ibnr for o in ind.origins.all() if o.origin >= "2025Q2"}
    assert ind.ceded_ibnr == sum((money_round(x * D("0.3"), "RUB") for x in later.values()), D(0))
    # the excess of loss: 2025Q1 reported C3 (1.8m, layer 0.8m), 2025Q2 C4 and C5 (2.9m, 1.5m);
    # 2025Q3–Q4 reported nothing and take the segment's 2.3m / 4.7m
    assert {o: d["ratio"] for o, d in cln.cession["origins"].items()} == {
        "2025Q1": "0.444444", "2025Q2": "0.517241", "2025Q3": "0.489362", "2025Q4": "0.489362"}
    assert cln.ceded_ibnr == sum((money_round(o.ibnr * D(cln.cession["origins"][o.origin]["ratio"]), "RUB")
                                  for o in cln.origins.all()), D(0))
    assert cln.ceded_ibnr > 0
    # premium deficiency: in the proportion of ceded to gross UPR (30%)
    assert ind.ceded_premium_deficiency == money_round(ind.premium_deficiency * D("0.3"), "RUB")
    assert ceded_and_net(ind)["net"]["ibnr"] == str(ind.ibnr - ind.ceded_ibnr)


def test_retention_k_is_net_over_gross_incurred_of_the_last_12_months():
    data = _run_json()
    run = ReserveRun.objects.get(pk=data["run_id"])
    results = list(run.segment_results.filter(currency="RUB"))
    gross = sum((D(r.cession["incurred_12m"]) for r in results), D(0))
    ceded = sum((D(r.cession["ceded_incurred_12m"]) for r in results), D(0))
    assert (gross, ceded) == (D("4980000.00"), D("2360000.00"))
    assert retention_k(results) == D("0.5261")


def test_the_run_page_shows_gross_reinsurers_share_and_net(client):
    from django.contrib.auth import get_user_model

    _run_json()
    run = ReserveRun.objects.get()
    client.force_login(get_user_model().objects.create_superuser("ri-page", "ri@example.test", "pw-for-tests"))
    page = client.get(f"/admin/reserving/reserverun/{run.pk}/change/").content.decode()
    table = page[page.index('id="run-reinsurance"'):]
    table = table[:table.index("</table>")]
    # the quota share's UPR 181 000 → 54 300 ceded → 126 700 net; the XL's RBNS 3.5m → 2.1m → 1.4m
    for amount in ("181,000.00", "54,300.00", "126,700.00", "3,500,000.00", "2,100,000.00", "1,400,000.00"):
        assert amount in table, amount
    assert table.count('class="net"') == 2  # both covered segments, nothing for an uncovered one
