"""The master-data history an import writes for its policies: one '+' row per policy with the
policy's own values, dated when the book says the policy was recorded (its original premium's
recorded_at), by the importing user, without a change reason.

PostgreSQL fills the history table from the policy rows just written (one INSERT … SELECT,
write.history_insert_select); elsewhere the same values are written from the plan. The same
pins hold for both, with and without the bulk load's index rebuild (D-59)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from django.contrib.auth import get_user_model

from exchange.bookio import write
from exchange.services import book_import, book_sources_from_dir
from policies.models import Policy, PremiumTransaction
from tests.integration.exchange.bookfiles import book_copy, rows_read, rows_write

pytestmark = pytest.mark.django_db(transaction=True)

WHEN = datetime(2024, 12, 31, 18, 0, tzinfo=timezone.utc)
# per policy: the recorded_at cell of policies.csv ("" = the import's recorded_at)
RECORDED = {"P-001": "2022-12-20T09:00:00.250000+03:00", "P-002": "",
            "P-003": "2023-05-30T10:15:00Z", "P-004": "2023-12-20T23:59:59+00:00"}
HISTORY_DATES = {"P-001": datetime(2022, 12, 20, 6, 0, 0, 250000, tzinfo=timezone.utc), "P-002": WHEN,
                 "P-003": datetime(2023, 5, 30, 10, 15, tzinfo=timezone.utc),
                 "P-004": datetime(2023, 12, 20, 23, 59, 59, tzinfo=timezone.utc)}
POLICY_FIELDS = [f.attname for f in Policy._meta.concrete_fields]


@pytest.fixture
def book(tmp_path):
    target = book_copy(tmp_path)
    rows = rows_read(target / "policies.csv")
    rows[0].append("recorded_at")
    for row in rows[1:]:
        row.append(RECORDED[row[0]])
    rows_write(target / "policies.csv", rows)
    return target


@pytest.fixture
def clerk():
    return get_user_model().objects.create_user("history-clerk", is_staff=True, is_superuser=True)


@pytest.fixture(params=["incremental", "rebuilt", "gapped"])
def load(request, monkeypatch):
    """Each pin three times: into tables that keep their indexes, through the rebuild
    (PostgreSQL), and with ids in several runs, as when another writer takes values of the
    sequences during the import."""
    if request.param == "rebuilt":
        monkeypatch.setattr(write, "REBUILD_MIN", 1)
    if request.param == "gapped":
        import exchange.services as services

        real = services.ids_reserve
        monkeypatch.setattr(services, "ids_reserve", lambda model, n: real(model, 2 * n)[::2])
    return request.param


def _history_rows() -> list[dict]:
    return list(Policy.history.model.objects.order_by("history_id").values())


def test_each_policy_has_one_created_row_with_its_values(book, clerk, load):
    report = book_import(sources=book_sources_from_dir(book), actor=clerk, recorded_at=WHEN)
    assert report.written["policies"] == 4
    history = _history_rows()
    policies = list(Policy.objects.order_by("id").values(*POLICY_FIELDS))
    assert len(history) == 4
    # history ids run in the order of the policy ids, one after the other
    assert [h["id"] for h in history] == [p["id"] for p in policies]
    assert [h["history_id"] - history[0]["history_id"] for h in history] == [0, 1, 2, 3]
    for policy, row in zip(policies, history):
        assert {name: row[name] for name in POLICY_FIELDS} == policy
        assert (row["history_type"], row["history_change_reason"], row["history_user_id"]) == ("+", None, clerk.pk)
    assert {row["policy_number"]: row["history_date"] for row in history} == HISTORY_DATES
    # the date is the original premium's recorded_at, the policy's created_at the import's clock
    originals = dict(PremiumTransaction.objects.filter(kind="original").values_list("policy_id", "recorded_at"))
    assert all(row["history_date"] == originals[row["id"]] for row in history)
    assert len({row["created_at"] for row in history}) == 1 and history[0]["created_at"] > WHEN
    # what the rows hold, pinned (P-004 cancelled by the premium file before it was written)
    p4 = next(row for row in history if row["policy_number"] == "P-004")
    assert (p4["status"], str(p4["cancelled_on"]), p4["rating_steps"], p4["insured_id"]) == (
        "cancelled", "2024-07-01", [], policies[0]["insured_id"])
    p2 = next(row for row in history if row["policy_number"] == "P-002")
    assert (str(p2["limit_per_claim"]), p2["deductible_amount"], str(p2["deductible_percent"]), str(p2["retro_date"]),
            p2["segment"], p2["risk_group"]) == ("500000.00", None, "10.0000", "2020-01-01", "clinic_claims_made", 4)
    # as of the recorded times: P-001 existed just after its own time, P-002 only from WHEN
    as_of = Policy.history.as_of(datetime(2022, 12, 21, tzinfo=timezone.utc))
    assert [p.policy_number for p in as_of] == ["P-001"]


def test_a_second_book_adds_history_only_for_its_own_policies(book, clerk, load, tmp_path):
    book_import(sources=book_sources_from_dir(book), actor=clerk, recorded_at=WHEN)
    more = tmp_path / "more"
    more.mkdir()
    rows = rows_read(book / "policies.csv")
    rows = [rows[0]] + [[f"Q-{row[0]}", *row[1:]] for row in rows[1:3]]
    rows_write(more / "policies.csv", rows)
    book_import(sources=book_sources_from_dir(more), actor=clerk, recorded_at=WHEN)
    history = _history_rows()
    assert [row["policy_number"] for row in history] == ["P-001", "P-002", "P-003", "P-004", "Q-P-001", "Q-P-002"]
    assert [row["history_date"] for row in history[4:]] == [HISTORY_DATES["P-001"], WHEN]
    assert Policy.history.model.objects.values("id").distinct().count() == 6


@pytest.mark.services
def test_postgresql_fills_the_history_in_the_database(book, clerk, load, monkeypatch):
    """No second COPY of the policies' values: the history table is not handed to rows_write."""
    written = []
    real = write.rows_write

    def spy(model, columns, progress=None, label=None):
        written.append(model._meta.db_table)
        return real(model, columns, progress, label)

    import exchange.services as services
    monkeypatch.setattr(services, "rows_write", spy)
    book_import(sources=book_sources_from_dir(book), actor=clerk, recorded_at=WHEN)
    assert "policies_historicalpolicy" not in written and "policies_policy" in written
    assert Policy.history.model.objects.count() == 4
