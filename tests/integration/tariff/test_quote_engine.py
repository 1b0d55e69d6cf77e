"""The seed tariff reproduces every consistent worked example of domain.md §2.1 (toman
figures fed as they are) and refers whatever it does not price."""
from datetime import date
from decimal import Decimal

import pytest

from tariff.engine import QuoteRefused, QuoteRequest, ReferralRequired
from tariff.selectors import NoTariffInForce, quote_price

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seed_tariff")]

DIYEH_1399 = Decimal("440000000")
ON = date(2020, 9, 2)  # 1399/06/12, the seed's date


def price(**kwargs):
    kwargs.setdefault("cover", DIYEH_1399)
    return quote_price(request=QuoteRequest(**kwargs), on=ON)


@pytest.mark.parametrize(
    "kwargs, base, rate, premium",
    [
        ({"profession": "midwife", "setting": "hospital"}, "1.5", "1.5", "660000"),
        ({"profession": "midwife", "setting": "own_office"}, "3", "3", "1320000"),
        ({"profession": "midwife", "setting": "hospital", "resident": True}, "1.5", "1.8", "792000"),
        ({"profession": "nurse", "setting": "hospital"}, "0.75", "0.75", "330000"),
        ({"profession": "nurse", "setting": "doctors_office"}, "0.9", "0.9", "396000"),
        ({"profession": "nurse", "setting": "hospital", "resident": True}, "0.75", "0.9", "396000"),
        ({"profession": "nurse", "setting": "hospital", "cover_share": Decimal("0.25")}, "0.75", "1.05", "115500"),
    ],
)
def test_seed_worked_examples_without_discounts(kwargs, base, rate, premium):
    q = price(**kwargs).as_json()
    assert (q["base_rate_permille"], q["rate_permille"], q["premium"]) == (base, rate, premium)
    assert q["premium_before_discounts"] == premium
    assert q["discounts"] == []
    assert q["tariff_version"] == "IR-PARAMED-1399"


@pytest.mark.parametrize(
    "kwargs, before, after_group, premium",
    [
        ({"profession": "midwife", "setting": "hospital"}, "660000", "561000", "476850"),
        ({"profession": "midwife", "setting": "own_office"}, "1320000", "1122000", "953700"),
        ({"profession": "midwife", "setting": "hospital", "resident": True}, "792000", "673200", "572220"),
    ],
)
def test_group_and_no_claims_discounts_compound(kwargs, before, after_group, premium):
    q = price(group_size=150, claim_free_years=3, **kwargs).as_json()
    assert q["premium_before_discounts"] == before
    group, ncd = q["discounts"]
    assert group["rate"] == "0.15" and ncd["rate"] == "0.15"
    assert Decimal(before) - Decimal(group["amount"]) == Decimal(after_group)
    assert Decimal(after_group) - Decimal(ncd["amount"]) == Decimal(premium)
    assert q["premium"] == premium


def test_vat_is_nine_percent_of_the_rounded_premium_half_up():
    q = price(profession="midwife", setting="hospital", group_size=150, claim_free_years=3).as_json()
    # 476,850 × 9% = 42,916.5 → 42,917 (half-up to a whole rial)
    assert q["vat"] == "42917"
    assert q["total"] == "519767"


def test_resident_midwife_at_75_percent_cover_multiplies_all_factors():
    q = price(profession="midwife", setting="hospital", resident=True, cover_share=Decimal("0.75"))
    assert q.rate_permille == Decimal("2.16")
    assert q.premium == Decimal("2.16") * Decimal("330000000") / 1000


def test_rub_premium_rounds_to_kopecks():
    q = price(profession="nurse", setting="hospital", cover=Decimal("1000001"), currency="RUB")
    assert q.premium == Decimal("750.00")  # 750.00075 → 750.00
    assert str(q.vat) == "67.50"


@pytest.mark.parametrize("years, rate", [(1, "0.05"), (2, "0.1"), (4, "0.2"), (5, "0.3"), (12, "0.3")])
def test_no_claims_discount_table(years, rate):
    q = price(profession="midwife", setting="hospital", claim_free_years=years).as_json()
    assert q["discounts"][0]["rate"] == rate


@pytest.mark.parametrize("size, rate", [(10, "0.05"), (50, "0.05"), (51, "0.1"), (200, "0.15"), (201, "0.2"),
                                        (400, "0.25"), (401, "0.3"), (5000, "0.3")])
def test_group_discount_bands(size, rate):
    q = price(profession="midwife", setting="hospital", group_size=size).as_json()
    assert q["discounts"][0]["rate"] == rate


@pytest.mark.parametrize(
    "group, reason",
    [
        ({"group_size": 9}, "below the minimum of 10"),
        ({"group_size": 20, "group_members": 41}, "less than 50%"),
        ({"group_size": 150, "group_formed_for_insurance": True}, "formed for the purpose of buying insurance"),
    ],
)
def test_ineligible_group_gets_no_discount_and_the_quote_says_why(group, reason):
    q = price(profession="midwife", setting="hospital", **group).as_json()
    assert q["discounts"] == [] and q["premium"] == "660000"
    notes = [s["value"] for s in q["steps"] if s["name"] == "group discount not applied"]
    assert len(notes) == 1 and reason in notes[0]


def test_half_the_members_insured_is_enough_for_the_group_discount():
    q = price(profession="midwife", setting="hospital", group_size=20, group_members=40).as_json()
    assert q["discounts"][0]["rate"] == "0.05"


def test_every_step_of_the_price_is_shown():
    q = price(profession="nurse", setting="doctors_office", resident=True, cover_share=Decimal("0.75"),
              group_size=60, claim_free_years=1).as_json()
    names = [s["name"] for s in q["steps"]]
    for expected in ("risk group 3 rate ‰ (hospital)", "doctors_office multiplier", "resident multiplier",
                     "cover share 75% multiplier", "rate ‰", "premium before discounts", "premium", "VAT 9%", "total"):
        assert expected in names
    # 0.75 × 1.2 (doctor's office) × 1.2 (resident) × 1.2 (75% cover)
    assert q["rate_permille"] == "1.296"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"profession": "physiotherapist", "setting": "hospital"}, "profession"),  # group 2: no seed rate
        ({"profession": "lab_technician", "setting": "hospital"}, "profession"),  # group 4: no seed rate
        ({"profession": "podiatrist", "setting": "hospital"}, "profession"),  # unlisted
        ({"profession": "midwife", "setting": "doctors_office"}, "setting"),  # not a nurse or aide
        ({"profession": "nurse", "setting": "own_office"}, "setting"),
        ({"profession": "midwife", "setting": "hospital", "cover_share": Decimal("0.5")}, "cover_share"),
    ],
)
def test_unpriced_cases_are_referred_without_a_price(kwargs, field):
    with pytest.raises(ReferralRequired) as err:
        price(**kwargs)
    assert err.value.field == field
    assert "referral required" in err.value.message


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"cover": Decimal("0")}, "cover"),
        ({"cover": Decimal("-5")}, "cover"),
        ({"cover_share": Decimal("1.5")}, "cover_share"),
        ({"cover_share": Decimal("0")}, "cover_share"),
        ({"claim_free_years": -1}, "claim_free_years"),
        ({"group_size": 20, "group_members": 10}, "group_members"),
        ({"currency": "XXX"}, "currency"),
        ({"setting": "garage"}, "setting"),
    ],
)
def test_bad_input_is_refused_with_its_field(kwargs, field):
    base = {"profession": "midwife", "setting": "hospital"}
    with pytest.raises(QuoteRefused) as err:
        price(**{**base, **kwargs})
    assert err.value.field == field


def test_no_tariff_in_force_before_the_seed_version():
    with pytest.raises(NoTariffInForce):
        quote_price(request=QuoteRequest(profession="midwife", setting="hospital", cover=DIYEH_1399),
                    on=date(2019, 1, 1))
