"""Reserve runs: regimes (versioned parameter sets), quarter-end runs with their data checks,
results per segment × currency and per origin quarter, and the audit trail of every transition.

Writes go through reserving/services.py; an approved run is immutable (the services refuse)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Regime(models.Model):
    """A versioned set of reserving parameters ("ru", "ru-51n", later IFRS 17, bylaw 58).
    A run uses the latest version whose effective_from is on or before its valuation date."""

    code = models.CharField(max_length=32, db_index=True)
    version = models.PositiveIntegerField(default=1)
    effective_from = models.DateField()
    name = models.CharField(max_length=200, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="regime_code_version_unique")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} (from {self.effective_from})"


class ReserveRun(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        COMPUTING = "computing", "computing"
        COMPUTED = "computed", "computed"
        FAILED = "failed", "failed"
        SUBMITTED = "submitted", "submitted"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"

    valuation_date = models.DateField(db_index=True, help_text="a quarter end; the run is as at the end of it")
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="runs")
    regime_code = models.CharField(max_length=32, db_index=True)
    regime_version = models.PositiveIntegerField()
    cut_off = models.DateTimeField(help_text="ledger rows recorded after this and later master-data edits are not seen")
    parameters = models.JSONField(default=dict, blank=True)
    selections = models.JSONField(default=dict, blank=True, help_text='per "segment|currency": method, ldfs, tail, apriori, pattern_from, note')
    input_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    engine_version = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reruns")
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes",
        help_text="the approved run that replaced this one as the official run of its date and regime")
    identical = models.BooleanField(null=True, blank=True, help_text="for a rerun: fingerprint and amounts equal the original's")
    segments_total = models.PositiveIntegerField(default=0)
    segments_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    reject_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    compute_started_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, help_text="approved or rejected at")

    class Meta:
        ordering = ["-valuation_date", "-id"]
        indexes = [models.Index(fields=["regime_code", "valuation_date", "status"])]
        constraints = [
            # exactly one official (approved, not superseded) run per valuation date and regime
            models.UniqueConstraint(
                fields=["valuation_date", "regime_code"], name="one_official_run_per_date_and_regime",
                condition=models.Q(status="approved", superseded_by__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} {self.regime_code} {self.valuation_date} ({self.status_label})"

    @property
    def is_official(self) -> bool:
        return self.status == self.Status.APPROVED and self.superseded_by_id is None

    @property
    def status_label(self) -> str:
        if self.status == self.Status.APPROVED and self.superseded_by_id is not None:
            return f"approved, superseded by run {self.superseded_by_id}"
        return self.status

    @property
    def progress(self) -> str:
        return f"{self.segments_done}/{self.segments_total}"


def _money(**kw):
    return models.DecimalField(max_digits=18, decimal_places=2, **kw)


class RunSegmentResult(models.Model):
    """One segment × currency of a run. (run, segment, currency) is the idempotency key of the
    segment task: a duplicated task overwrites the same row, never adds one."""

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="segment_results")
    segment = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    upr = _money()
    rbns = _money()
    ibnr = _money()
    ulae = _money()
    premium_deficiency = _money()
    ibnr_method = models.CharField(max_length=32)
    earned_premium = _money(default=0)
    paid = _money(default=0)
    case = _money(default=0)
    triangles = models.JSONField(default=dict, blank=True)
    factors = models.JSONField(default=dict, blank=True)
    provenance = models.JSONField(default=dict, blank=True,
                                  help_text="how the result was made: grain, method per origin, pattern, tail, "
                                            "a-priori and its source, floor, engine version")
    selections = models.JSONField(default=dict, blank=True)
    bootstrap = models.JSONField(default=dict, blank=True, help_text="ODP bootstrap of the paid reserve: mean, sd, percentiles")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["segment", "currency"]
        constraints = [models.UniqueConstraint(fields=["run", "segment", "currency"], name="run_segment_currency_unique")]

    def __str__(self) -> str:
        return f"{self.segment} {self.currency}"


class RunSegmentInput(models.Model):
    """The aggregated inputs of one segment × currency as the run collected them once for all its
    segments (compute.SegmentInputs.canonical(): cells, counts, closures, UPR, RBNS, earned
    premium, a-priori): the segment task computes from this slice instead of querying the book
    again, and the fingerprint is of exactly these. Derived, replaced when the run recomputes."""

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="segment_inputs")
    segment = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    inputs = models.JSONField()

    class Meta:
        ordering = ["segment", "currency"]
        constraints = [models.UniqueConstraint(fields=["run", "segment", "currency"], name="run_segment_input_unique")]


class RunOriginResult(models.Model):
    """One origin period of a segment's result: what was reported, the ultimate by every method
    the engine ran, and the ultimate selected with the method that gave it (IBNR = selected
    ultimate − reported incurred; negative where case reserves are redundant, flagged)."""

    segment_result = models.ForeignKey(RunSegmentResult, on_delete=models.CASCADE, related_name="origins")
    origin = models.CharField(max_length=8, help_text="origin period: accident quarter (2024Q3) or year (2024)")
    paid = _money()
    case = _money()
    ultimate = _money()
    ibnr = _money()
    mack_se = _money(null=True, blank=True)
    method = models.CharField(max_length=32, blank=True, help_text="the method of the selected ultimate")
    ultimates = models.JSONField(default=dict, blank=True, help_text="ultimate by method, as decimal strings")
    maturity = models.FloatField(null=True, blank=True, help_text="share of the ultimate expected reported by now")
    apriori = models.FloatField(null=True, blank=True, help_text="the a-priori loss ratio used for this origin")
    flags = models.JSONField(default=list, blank=True, help_text="e.g. negative_ibnr")

    class Meta:
        ordering = ["origin"]
        constraints = [models.UniqueConstraint(fields=["segment_result", "origin"], name="run_origin_unique")]


class RunDataCheck(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error", "error"
        WARNING = "warning", "warning"
        NOTE = "note", "note"   # how the run was made (e.g. the grain rule); nothing to acknowledge

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="data_checks")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    code = models.CharField(max_length=64)
    message = models.CharField(max_length=500)
    row_count = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=list, blank=True, help_text="the rows concerned (first ones)")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["severity", "code"]

    def __str__(self) -> str:
        return f"{self.severity}: {self.code} ({self.row_count})"


class RunEvent(models.Model):
    """Every transition of a run: who, when, from which status to which."""

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verb = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.from_status}→{self.to_status}"


class AprioriLossRatio(models.Model):
    """The a-priori (expected) loss ratio of a segment, currency and underwriting year that
    Bornhuetter–Ferguson, Benktander and the expected-loss-ratio method use, kept by the actuary
    with its source. History is kept, so a run reads the ratios as they were at its cut-off."""

    class Source(models.TextChoices):
        PRICING = "pricing", "pricing"
        PLAN = "plan", "business plan"
        PRIOR_ULTIMATES = "prior_ultimates", "prior years' ultimates, trended"
        BENCHMARK = "benchmark", "industry benchmark"
        OTHER = "other", "other (say in the note)"

    segment = models.CharField(max_length=64)
    currency = models.CharField(max_length=3)
    underwriting_year = models.PositiveSmallIntegerField()
    loss_ratio = models.DecimalField(max_digits=6, decimal_places=4)
    source = models.CharField(max_length=32, choices=Source.choices)
    note = models.CharField(max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["segment", "currency", "underwriting_year"]
        constraints = [models.UniqueConstraint(fields=["segment", "currency", "underwriting_year"],
                                               name="apriori_segment_currency_year_unique")]

    def __str__(self) -> str:
        return f"{self.segment} {self.currency} {self.underwriting_year}: {self.loss_ratio:.1%} ({self.source})"
