"""The book exchange format: file names, columns (required and optional) and value formats.

Optional columns are those added after format_version 1 (or needed for an exact round trip);
a file without them still imports, with their defaults.

Text cells carry the spreadsheet-formula escape of core/csvsafe.py (exchange/README.md, "Text
cells"): every column that is not listed in `numeric` is a text column; export escapes it, import
reverses the escape. Numeric columns (amounts, shares, counts) are written and read as they are.
"""
from __future__ import annotations

from dataclasses import dataclass, field

FORMAT_VERSION = 1
ERROR_CAP = 1000


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = field(default_factory=tuple)
    mandatory: bool = False
    numeric: tuple[str, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def text_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.numeric)


POLICIES = FileSpec(
    "policies.csv",
    required=(
        "policy_number", "insured_name", "profession", "risk_group", "segment", "basis", "retro_date",
        "currency", "inception_date", "expiry_date", "issue_date", "limit_per_claim", "aggregate_limit",
        "deductible_amount", "deductible_percent", "gross_premium", "commission",
    ),
    # original_transaction_id, recorded_at: the original premium row's id and when it was learnt;
    # the rest are policy fields of later features.
    optional=(
        "original_transaction_id", "recorded_at", "expenses_within_limits", "insured_kind", "tariff_version", "cover_in_diyeh",
        "diyeh_year", "diyeh_increase_endorsement",
    ),
    numeric=("risk_group", "limit_per_claim", "aggregate_limit", "deductible_amount", "deductible_percent",
             "gross_premium", "commission", "diyeh_year"),
)
PREMIUM_TRANSACTIONS = FileSpec(
    "premium_transactions.csv",
    required=("transaction_id", "policy_number", "kind", "accounting_date", "effective_date", "gross_premium",
              "commission"),
    optional=("recorded_at", "reverses", "note"),
    numeric=("gross_premium", "commission"),
)
CLAIMS = FileSpec(
    "claims.csv",
    required=("claim_number", "policy_number", "occurrence_date", "report_date", "cause", "litigated"),
    optional=("claimant", "awarded_diyeh_share"),
    numeric=("awarded_diyeh_share",),
)
CLAIM_TRANSACTIONS = FileSpec(
    "claim_transactions.csv",
    required=("transaction_id", "claim_number", "accounting_date", "kind", "cost_type", "amount"),
    # topup: a reserve top-up posted by an earlier `import_book --allow-topup`, so it round-trips.
    optional=("recorded_at", "reverses", "topup", "note"),
    numeric=("amount",),
)
FILES = (POLICIES, PREMIUM_TRANSACTIONS, CLAIMS, CLAIM_TRANSACTIONS)
BOOK_JSON = "book.json"

PREMIUM_FILE_KINDS = ("endorsement", "cancellation", "reversal")
CLAIM_KINDS = ("reserve", "payment", "recovery", "close", "reopen", "reversal")
COST_TYPES = ("indemnity", "expense")
BASES = ("occurrence", "claims_made")
INSURED_KINDS = ("person", "organisation")


def original_premium_id(policy_number: str) -> str:
    """The transaction id of a policy's original premium, as the policy services name it."""
    return f"{policy_number}-P1"


def topup_id(payment_id: str) -> str:
    return f"{payment_id}-TOPUP"


def derived_id(close_id: str, cost_type: str) -> str:
    return f"{close_id}-{cost_type.upper()}"


# Reference data a book may carry (issue 17): optional files, read before the policies.
SEGMENTS = FileSpec(
    "segments.csv",
    required=("code",),
    optional=("name_en", "name_ru", "name_fa", "line_of_business", "accounting_group"),
)
FX_RATES = FileSpec(
    "fx_rates.csv",
    # rate: units of the reporting currency for one unit of `currency` on `date`
    required=("date", "currency", "rate"),
    optional=("source",),
    numeric=("rate",),
)
TREATIES = FileSpec(
    "treaties.csv",
    # quota share: ceded_percent (and ceding_commission_percent); excess of loss: currency,
    # retention and limit (per claim). One treaty per segment and underwriting year (and currency).
    required=("code", "kind", "segment", "underwriting_year"),
    optional=("currency", "ceded_percent", "ceding_commission_percent", "retention", "limit", "reinsurer"),
    numeric=("underwriting_year", "ceded_percent", "ceding_commission_percent", "retention", "limit"),
)
REFERENCE_FILES = (SEGMENTS, FX_RATES, TREATIES)
ALL_FILES = REFERENCE_FILES + FILES
