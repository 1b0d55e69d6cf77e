"""Admin of reserve runs: the run list, a run page with results per segment, data checks
(acknowledge), the lifecycle buttons, a triangle page with link ratios and the selection form
with a live preview, and regimes as versioned parameter sets. Every action calls
reserving.services; refusals are shown as messages in the services' own words."""
from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.errors import DomainError
from core.forms import form_add_domain_error
from core.periods import Quarter
from core.roles import Operation, can
from reserving import selectors, services
from reserving.forms import RegimeVersionForm, RejectForm, RunCreateForm, SelectionForm
from reserving.models import AprioriLossRatio, Regime, ReserveRun, RunDataCheck


@admin.register(Regime)
class RegimeAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "effective_from", "name", "runs_count")
    list_filter = ("code",)
    readonly_fields = ("code", "version", "effective_from", "name", "parameters", "description", "created_at")

    @admin.display(description="runs")
    def runs_count(self, obj):
        return obj.runs.count()

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # versions are never edited: add a new one (runs point at the old)

    def has_add_permission(self, request):
        return can(request.user, Operation.REGIME_VERSION_CREATE)

    def add_view(self, request, form_url="", extra_context=None):
        """A new version of a regime, prefilled from the latest one."""
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied("creating a regime version needs the actuary role")
        latest = Regime.objects.filter(code=request.GET.get("code", "ru")).order_by("-version").first()
        initial = {} if latest is None else {"code": latest.code, "name": latest.name, "description": latest.description,
                                              "parameters": latest.parameters}
        form = RegimeVersionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                regime = services.regime_version_create(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, f"regime {regime} created")
                return HttpResponseRedirect(reverse("admin:reserving_regime_changelist"))
        context = {**self.admin_site.each_context(request), "title": "New regime version", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/reserving/form_page.html", context)


@admin.register(AprioriLossRatio)
class AprioriLossRatioAdmin(admin.ModelAdmin):
    """The a-priori loss ratios BF, Benktander and ELR use, kept by the actuary with their source;
    saved through reserving.services (role check, audit row), never deleted (history is read by
    runs as at their cut-off)."""

    list_display = ("segment", "currency", "underwriting_year", "loss_ratio", "source", "note", "entered_by",
                    "entered_at")
    list_filter = ("segment", "currency", "source")
    readonly_fields = ("entered_by", "entered_at")

    def has_add_permission(self, request):
        return can(request.user, Operation.APRIORI_SAVE)

    def has_change_permission(self, request, obj=None):
        return can(request.user, Operation.APRIORI_SAVE)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.apriori_loss_ratio_save(
            segment=data["segment"], currency=data["currency"], underwriting_year=data["underwriting_year"],
            loss_ratio=data["loss_ratio"], source=data["source"], note=data.get("note", ""), actor=request.user)
        obj.pk = saved.pk

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The service refuses in its own words; say them on the page, nothing saved.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)


@admin.register(ReserveRun)
class ReserveRunAdmin(admin.ModelAdmin):
    list_display = ("id", "valuation_date", "regime_code", "regime_version", "status_display", "progress_display",
                    "preparer", "approver", "fingerprint_short", "rerun_of", "identical", "created_at")
    list_filter = ("status", "regime_code", "valuation_date")
    date_hierarchy = "valuation_date"

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return can(request.user, Operation.RUN_CREATE)

    def _require_view(self, request) -> None:
        """The run pages are custom views, which admin_view guards only for staff: check the
        model permission here, so a clerk without reserving access gets 403, not the page."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied("reserve runs are for the reserving roles")

    @admin.display(description="status")
    def status_display(self, obj):
        return obj.status_label

    @admin.display(description="progress")
    def progress_display(self, obj):
        return obj.progress

    @admin.display(description="fingerprint")
    def fingerprint_short(self, obj):
        return obj.input_fingerprint[:12]

    def get_urls(self):
        own = [
            path("<int:run_id>/do/<str:verb>/", self.admin_site.admin_view(self.action_view), name="reserving_run_action"),
            path("<int:run_id>/check/<int:check_id>/acknowledge/", self.admin_site.admin_view(self.acknowledge_view),
                 name="reserving_run_acknowledge"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/", self.admin_site.admin_view(self.segment_view),
                 name="reserving_run_segment"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/preview/",
                 self.admin_site.admin_view(self.preview_view), name="reserving_run_preview"),
            path("<int:run_id>/progress/", self.admin_site.admin_view(self.progress_view), name="reserving_run_progress"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/backtest/",
                 self.admin_site.admin_view(self.backtest_view), name="reserving_run_backtest"),
        ]
        return own + super().get_urls()

    # ---------------------------------------------------------------- pages
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied("creating a run needs the actuary role")
        form = RunCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = services.run_create(valuation_date=data["valuation_date"], regime=data["regime"],
                                          cut_off=data["cut_off"], actor=request.user)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                if data["compute"]:
                    self._call(request, lambda: services.run_compute(run=run, actor=request.user), "computing")
                return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run.pk]))
        context = {**self.admin_site.each_context(request), "title": "New reserve run", "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/reserving/form_page.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=int(object_id))
        results = list(selectors.run_segment_results(run=run))
        context = {
            **self.admin_site.each_context(request), "title": f"Reserve run {run.pk}", "run": run,
            "results": results, "checks": run.data_checks.all(), "events": run.events.select_related("actor"),
            "opts": self.model._meta, "reject_form": RejectForm(), "period_label": Quarter.of(run.valuation_date).label,
            "totals_by_currency": _totals(results), "can": _abilities(request.user, run),
        }
        return TemplateResponse(request, "admin/reserving/run_detail.html", context)

    def segment_view(self, request, run_id, segment, currency):
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        result = run.segment_results.filter(segment=segment, currency=currency).prefetch_related("origins").first()
        current = run.selections.get(f"{segment}|{currency}", {})
        initial = {**current, "ldfs": json.dumps(current.get("ldfs")) if current.get("ldfs") else ""}
        form = SelectionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            if self._call(request, lambda: services.run_selection_set(run=run, segment=segment, currency=currency,
                                                                      selection=form.selection(), actor=request.user),
                          "selection saved; compute the run again to apply it"):
                return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run.pk]))
        tri = (result.triangles if result else {}) or {}
        context = {
            **self.admin_site.each_context(request), "title": f"Run {run.pk}: {segment} {currency}", "run": run,
            "result": result, "segment": segment, "currency": currency, "form": form, "opts": self.model._meta,
            "incurred": _table(tri.get("incurred")), "paid": _table(tri.get("paid")),
            "link_ratios": _table((result.factors or {}).get("link_ratios") if result else None, digits=4),
            "ldf": (result.factors or {}).get("ldf", {}) if result else {},
            "preview_url": reverse("admin:reserving_run_preview", args=[run.pk, segment, currency]),
            "backtest_url": reverse("admin:reserving_run_backtest", args=[run.pk, segment, currency]),
            "can": _abilities(request.user, run),
        }
        return TemplateResponse(request, "admin/reserving/run_segment.html", context)

    # ---------------------------------------------------------------- actions
    def _call(self, request, fn, success: str) -> bool:
        try:
            fn()
        except DomainError as exc:
            messages.error(request, exc.message)
            return False
        messages.success(request, success)
        return True

    def action_view(self, request, run_id, verb):
        self._require_view(request)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run_id]))
        run = get_object_or_404(ReserveRun, pk=run_id)
        user = request.user
        target = run.pk
        if verb == "compute":
            self._call(request, lambda: services.run_compute(run=run, actor=user), "computing")
        elif verb == "retry":
            self._call(request, lambda: services.run_retry(run=run, actor=user), "missing segments re-dispatched")
        elif verb == "submit":
            self._call(request, lambda: services.run_submit(run=run, actor=user), "submitted for approval")
        elif verb == "approve":
            self._call(request, lambda: services.run_approve(run=run, actor=user), "approved")
        elif verb == "reject":
            form = RejectForm(request.POST)
            reason = form.data.get("reason", "")
            self._call(request, lambda: services.run_reject(run=run, actor=user, reason=reason), "rejected")
        elif verb == "rerun":
            box = {}

            def rerun():
                box["run"] = services.run_rerun(run=run, actor=user)
            if self._call(request, rerun, "rerun started"):
                target = box["run"].pk
        elif verb == "close_period":
            label = Quarter.of(run.valuation_date).label
            self._call(request, lambda: services.period_close(label=label, actor=user), f"period {label} closed")
        else:
            messages.error(request, f"unknown action {verb}")
        return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[target]))

    def acknowledge_view(self, request, run_id, check_id):
        self._require_view(request)
        check = get_object_or_404(RunDataCheck, pk=check_id, run_id=run_id)
        if request.method == "POST":
            self._call(request, lambda: services.run_check_acknowledge(check=check, actor=request.user), "acknowledged")
        return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run_id]))

    def preview_view(self, request, run_id, segment, currency):
        """The live preview: the selection's effect computed now, saved nowhere."""
        self._require_view(request)
        if request.method != "POST":
            return JsonResponse({"error": "POST the selection form"}, status=405)
        run = get_object_or_404(ReserveRun, pk=run_id)
        form = SelectionForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"errors": form.errors}, status=400)
        try:
            return JsonResponse(services.run_selection_preview(run=run, segment=segment, currency=currency,
                                                               selection=form.selection()))
        except DomainError as exc:
            return JsonResponse({"errors": exc.field_errors}, status=400)

    def backtest_view(self, request, run_id, segment, currency):
        """The back-test on the segment's own history, on demand (reads only; a few seconds)."""
        from reserving.engine.backtest import emergence_summary

        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        cuts = [int(c) for c in request.GET.get("cuts", "1,2,3").split(",") if c.strip().isdigit()] or [1, 2, 3]
        error, by_cut, summary = "", [], []
        try:
            results = services.run_history_backtest(run=run, segment=segment, currency=currency, cuts=cuts)
            summary = emergence_summary(results).to_dict("records")
            by_cut = results.to_dict("records")
        except DomainError as exc:
            error = exc.message
        context = {**self.admin_site.each_context(request), "title": f"Run {run.pk}: {segment} {currency} back-test",
                   "run": run, "segment": segment, "currency": currency, "cuts": cuts, "error": error,
                   "summary": summary, "by_cut": by_cut, "opts": self.model._meta}
        return TemplateResponse(request, "admin/reserving/run_backtest.html", context)

    def progress_view(self, request, run_id):
        self._require_view(request)
        run = get_object_or_404(ReserveRun, pk=run_id)
        return JsonResponse({"status": run.status, "segments_done": run.segments_done,
                             "segments_total": run.segments_total, "error": run.error})


def _abilities(user, run: ReserveRun) -> dict[str, bool]:
    """Which run buttons to show: only those the services would let this user press (the
    preparers of a run are not offered its approval)."""
    ops = {"compute": Operation.RUN_COMPUTE, "retry": Operation.RUN_RETRY, "submit": Operation.RUN_SUBMIT,
           "approve": Operation.RUN_APPROVE, "reject": Operation.RUN_REJECT, "rerun": Operation.RUN_RERUN,
           "close_period": Operation.PERIOD_CLOSE, "select": Operation.RUN_SELECT,
           "acknowledge": Operation.RUN_ACKNOWLEDGE}
    allowed = {name: can(user, op) for name, op in ops.items()}
    if allowed["approve"] or allowed["reject"]:
        independent = user.pk not in selectors.run_preparers(run=run)
        allowed["approve"] = allowed["approve"] and independent
        allowed["reject"] = allowed["reject"] and independent
    return allowed


def _totals(results) -> dict:
    out: dict = {}
    for r in results:
        t = out.setdefault(r.currency, {"upr": 0, "rbns": 0, "ibnr": 0, "ulae": 0, "premium_deficiency": 0})
        for k in t:
            t[k] += getattr(r, k)
    return out


def _table(blob, digits: int = 2) -> dict | None:
    if not blob or not blob.get("values"):
        return None
    fmt = f"{{:,.{digits}f}}"
    rows = [(o, ["" if v is None else fmt.format(v) for v in vals]) for o, vals in zip(blob["origins"], blob["values"])]
    return {"ages": blob["ages"], "rows": rows}

