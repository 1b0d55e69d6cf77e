"""Reserve runs: regimes (versioned parameter sets), quarter-end runs with their data checks,
results per segment × currency and per origin quarter, and the audit trail of every transition.

Writes go through reserving/services.py; an approved run is immutable (the services refuse)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Regime(models.Model):
    """A versioned set of reserving parameters ("ru", "ru-51n", later IFRS 17, bylaw 58).
    A run uses the latest version whose effective_from is on or before its valuation date."""

    code = models.CharField(max_length=32, db_index=True, verbose_name=_("code"))
    version = models.PositiveIntegerField(default=1, verbose_name=_("version"))
    effective_from = models.DateField(verbose_name=_("effective from"))
    name = models.CharField(max_length=200, blank=True, verbose_name=_("name"))
    parameters = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="regime_code_version_unique")]
        verbose_name = _("regime")
        verbose_name_plural = _("regimes")

    def __str__(self) -> str:
        return f"{self.code} v{self.version} (from {self.effective_from})"


class ReserveRun(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        COMPUTING = "computing", _("computing")
        COMPUTED = "computed", _("computed")
        FAILED = "failed", _("failed")
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    valuation_date = models.DateField(db_index=True, help_text=_("a quarter end; the run is as at the end of it"), verbose_name=_("valuation date"))
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="runs", verbose_name=_("regime"))
    regime_code = models.CharField(max_length=32, db_index=True, verbose_name=_("regime code"))
    regime_version = models.PositiveIntegerField(verbose_name=_("regime version"))
    cut_off = models.DateTimeField(help_text=_("ledger rows recorded after this and later master-data edits are not seen"), verbose_name=_("cut off"))
    parameters = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    selections = models.JSONField(default=dict, blank=True, help_text=_('per "segment|currency": method, ldfs, tail, apriori, pattern_from, note'), verbose_name=_("selections"))
    input_fingerprint = models.CharField(max_length=64, blank=True, db_index=True, verbose_name=_("input fingerprint"))
    engine_version = models.CharField(max_length=64, blank=True, verbose_name=_("engine version"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True, verbose_name=_("status"))
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("preparer"))
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("approver"))
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reruns", verbose_name=_("rerun of"))
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes",
        help_text=_("the approved run that replaced this one as the official run of its date and regime"), verbose_name=_("superseded by"))
    identical = models.BooleanField(null=True, blank=True, help_text=_("for a rerun: fingerprint and amounts equal the original's"), verbose_name=_("identical"))
    segments_total = models.PositiveIntegerField(default=0, verbose_name=_("segments total"))
    segments_done = models.PositiveIntegerField(default=0, verbose_name=_("segments done"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    reject_reason = models.TextField(blank=True, verbose_name=_("reject reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    compute_started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("compute started at"))
    computed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("computed at"))
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("submitted at"))
    decided_at = models.DateTimeField(null=True, blank=True, help_text=_("approved or rejected at"), verbose_name=_("decided at"))

    class Meta:
        ordering = ["-valuation_date", "-id"]
        indexes = [models.Index(fields=["regime_code", "valuation_date", "status"])]
        constraints = [
            # exactly one official (approved, not superseded) run per valuation date and regime
            models.UniqueConstraint(
                fields=["valuation_date", "regime_code"], name="one_official_run_per_date_and_regime",
                condition=models.Q(status="approved", superseded_by__isnull=True)),
        ]
        verbose_name = _("reserve run")
        verbose_name_plural = _("reserve runs")

    def __str__(self) -> str:
        return f"run {self.pk} {self.regime_code} {self.valuation_date} ({self.status_label})"

    @property
    def is_official(self) -> bool:
        return self.status == self.Status.APPROVED and self.superseded_by_id is None

    @property
    def status_label(self) -> str:
        if self.status == self.Status.APPROVED and self.superseded_by_id is not None:
            return _("approved, superseded by run %(run)s") % {"run": self.superseded_by_id}
        return str(self.get_status_display())

    @property
    def progress(self) -> str:
        return f"{self.segments_done}/{self.segments_total}"


def _money(**kw):
    return models.DecimalField(max_digits=18, decimal_places=2, **kw)


class RunSegmentResult(models.Model):
    """One segment × currency of a run. (run, segment, currency) is the idempotency key of the
    segment task: a duplicated task overwrites the same row, never adds one."""

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="segment_results", verbose_name=_("run"))
    segment = models.CharField(max_length=64, verbose_name=_("segment"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    upr = _money(verbose_name=_("upr"))
    rbns = _money(verbose_name=_("rbns"))
    ibnr = _money(verbose_name=_("ibnr"))
    ulae = _money(verbose_name=_("ulae"))
    premium_deficiency = _money(verbose_name=_("premium deficiency"))
    ibnr_method = models.CharField(max_length=32, verbose_name=_("ibnr method"))
    earned_premium = _money(default=0, verbose_name=_("earned premium"))
    paid = _money(default=0, verbose_name=_("paid"))
    case = _money(default=0, verbose_name=_("case"))
    triangles = models.JSONField(default=dict, blank=True, verbose_name=_("triangles"))
    factors = models.JSONField(default=dict, blank=True, verbose_name=_("factors"))
    provenance = models.JSONField(default=dict, blank=True,
                                  help_text=_("how the result was made: grain, method per origin, pattern, tail, "
                                            "a-priori and its source, floor, engine version"), verbose_name=_("provenance"))
    selections = models.JSONField(default=dict, blank=True, verbose_name=_("selections"))
    bootstrap = models.JSONField(default=dict, blank=True, help_text=_("ODP bootstrap of the paid reserve: mean, sd, percentiles"), verbose_name=_("bootstrap"))
    # the reinsurers' share of each reserve (issue 17 §3), derived from the ledgers and the
    # treaties by reserving.cessions; net = the gross field − the ceded one
    ceded_upr = _money(default=0, verbose_name=_("reinsurers' share of UPR"))
    ceded_rbns = _money(default=0, verbose_name=_("reinsurers' share of RBNS"))
    ceded_ibnr = _money(default=0, verbose_name=_("reinsurers' share of IBNR"))
    ceded_ulae = _money(default=0, verbose_name=_("reinsurers' share of ULAE"))
    ceded_premium_deficiency = _money(default=0, verbose_name=_("reinsurers' share of premium deficiency"))
    cession = models.JSONField(default=dict, blank=True, help_text=_(
        "how the reinsurers' share was made: treaties, per origin ceded paid, case and IBNR, per underwriting "
        "year ceded premium, commission and UPR, the incurred of the last 12 months gross and ceded"),
        verbose_name=_("cession"))
    computed_at = models.DateTimeField(auto_now=True, verbose_name=_("computed at"))

    @property
    def net_upr(self):
        return self.upr - self.ceded_upr

    @property
    def net_rbns(self):
        return self.rbns - self.ceded_rbns

    @property
    def net_ibnr(self):
        return self.ibnr - self.ceded_ibnr

    @property
    def net_ulae(self):
        return self.ulae - self.ceded_ulae

    @property
    def net_premium_deficiency(self):
        return self.premium_deficiency - self.ceded_premium_deficiency

    class Meta:
        ordering = ["segment", "currency"]
        constraints = [models.UniqueConstraint(fields=["run", "segment", "currency"], name="run_segment_currency_unique")]
        verbose_name = _("run segment result")
        verbose_name_plural = _("run segment results")

    def __str__(self) -> str:
        return f"{self.segment} {self.currency}"


class RunSegmentInput(models.Model):
    """The aggregated inputs of one segment × currency as the run collected them once for all its
    segments (compute.SegmentInputs.canonical(): cells, counts, closures, UPR, RBNS, earned
    premium, a-priori): the segment task computes from this slice instead of querying the book
    again, and the fingerprint is of exactly these. Derived, replaced when the run recomputes."""

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="segment_inputs", verbose_name=_("run"))
    segment = models.CharField(max_length=64, verbose_name=_("segment"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    inputs = models.JSONField(verbose_name=_("inputs"))
    # {quarter label: gross earned premium}, read by the loss-ratio dashboard (issue 15 §5); not
    # part of the inputs or their fingerprint (the computation reads the run's premium base)
    earned_gross = models.JSONField(default=dict, blank=True, verbose_name=_("gross earned premium by quarter"))

    class Meta:
        ordering = ["segment", "currency"]
        constraints = [models.UniqueConstraint(fields=["run", "segment", "currency"], name="run_segment_input_unique")]
        verbose_name = _("run segment input")
        verbose_name_plural = _("run segment inputs")


class RunOriginResult(models.Model):
    """One origin period of a segment's result: what was reported, the ultimate by every method
    the engine ran, and the ultimate selected with the method that gave it (IBNR = selected
    ultimate − reported incurred; negative where case reserves are redundant, flagged)."""

    segment_result = models.ForeignKey(RunSegmentResult, on_delete=models.CASCADE, related_name="origins", verbose_name=_("segment result"))
    origin = models.CharField(max_length=8, help_text=_("origin period: accident quarter (2024Q3) or year (2024)"), verbose_name=_("origin"))
    paid = _money(verbose_name=_("paid"))
    case = _money(verbose_name=_("case"))
    ultimate = _money(verbose_name=_("ultimate"))
    ibnr = _money(verbose_name=_("ibnr"))
    mack_se = _money(null=True, blank=True, verbose_name=_("mack se"))
    method = models.CharField(max_length=32, blank=True, help_text=_("the method of the selected ultimate"), verbose_name=_("method"))
    ultimates = models.JSONField(default=dict, blank=True, help_text=_("ultimate by method, as decimal strings"), verbose_name=_("ultimates"))
    maturity = models.FloatField(null=True, blank=True, help_text=_("share of the ultimate expected reported by now"), verbose_name=_("maturity"))
    apriori = models.FloatField(null=True, blank=True, help_text=_("the a-priori loss ratio used for this origin"), verbose_name=_("apriori"))
    flags = models.JSONField(default=list, blank=True, help_text=_("e.g. negative_ibnr"), verbose_name=_("flags"))

    class Meta:
        ordering = ["origin"]
        constraints = [models.UniqueConstraint(fields=["segment_result", "origin"], name="run_origin_unique")]
        verbose_name = _("run origin result")
        verbose_name_plural = _("run origin results")


class RunDataCheck(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error", _("error")
        WARNING = "warning", _("warning")
        NOTE = "note", _("note")   # how the run was made (e.g. the grain rule); nothing to acknowledge

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="data_checks", verbose_name=_("run"))
    severity = models.CharField(max_length=8, choices=Severity.choices, verbose_name=_("severity"))
    code = models.CharField(max_length=64, verbose_name=_("code"))
    message = models.CharField(max_length=500, verbose_name=_("message"))
    row_count = models.PositiveIntegerField(default=0, verbose_name=_("row count"))
    rows = models.JSONField(default=list, blank=True, help_text=_("the rows concerned (first ones)"), verbose_name=_("rows"))
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("acknowledged by"))
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))

    class Meta:
        ordering = ["severity", "code"]
        verbose_name = _("run data check")
        verbose_name_plural = _("run data checks")

    def __str__(self) -> str:
        return f"{self.severity}: {self.code} ({self.row_count})"


class RunEvent(models.Model):
    """Every transition of a run: who, when, from which status to which."""

    run = models.ForeignKey(ReserveRun, on_delete=models.CASCADE, related_name="events", verbose_name=_("run"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("actor"))
    verb = models.CharField(max_length=32, verbose_name=_("verb"))
    from_status = models.CharField(max_length=16, blank=True, verbose_name=_("from status"))
    to_status = models.CharField(max_length=16, blank=True, verbose_name=_("to status"))
    note = models.TextField(blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("run event")
        verbose_name_plural = _("run events")

    def __str__(self) -> str:
        return f"{self.verb} {self.from_status}→{self.to_status}"


class AprioriLossRatio(models.Model):
    """The a-priori (expected) loss ratio of a segment, currency and underwriting year that
    Bornhuetter–Ferguson, Benktander and the expected-loss-ratio method use, kept by the actuary
    with its source. History is kept, so a run reads the ratios as they were at its cut-off."""

    class Source(models.TextChoices):
        PRICING = "pricing", _("pricing")
        PLAN = "plan", _("business plan")
        PRIOR_ULTIMATES = "prior_ultimates", _("prior years' ultimates, trended")
        BENCHMARK = "benchmark", _("industry benchmark")
        OTHER = "other", _("other (say in the note)")

    segment = models.CharField(max_length=64, verbose_name=_("segment"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    underwriting_year = models.PositiveSmallIntegerField(verbose_name=_("underwriting year"))
    loss_ratio = models.DecimalField(max_digits=6, decimal_places=4, verbose_name=_("loss ratio"))
    source = models.CharField(max_length=32, choices=Source.choices, verbose_name=_("source"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("entered by"))
    entered_at = models.DateTimeField(auto_now=True, verbose_name=_("entered at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["segment", "currency", "underwriting_year"]
        constraints = [models.UniqueConstraint(fields=["segment", "currency", "underwriting_year"],
                                               name="apriori_segment_currency_year_unique")]
        verbose_name = _("apriori loss ratio")
        verbose_name_plural = _("apriori loss ratios")

    def __str__(self) -> str:
        return f"{self.segment} {self.currency} {self.underwriting_year}: {self.loss_ratio:.1%} ({self.source})"
