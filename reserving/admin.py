"""Admin of reserve runs: the run list, a run page with results per segment, data checks
(acknowledge), the lifecycle buttons, a triangle page with link ratios and the selection form
with a live preview, and regimes as versioned parameter sets. Every action calls
reserving.services; refusals are shown as messages in the services' own words."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, PermissionDenied
from core.forms import form_add_domain_error
from core.money import ZERO, to_decimal
from core.money_format import amount_text, number_text
from core.periods import Quarter
from core.labels import (average_name, basis_name, bootstrap_status_name, code_shown, grain_name, method_name,
                         periods_name, segment_name, selection_field_name)
from core.roles import Operation, can
from reserving import selectors, services, workbench
from reserving import report as run_report
from reserving import review as run_review
from reserving.checks import check_text
from reserving.compute import _to_triangle
from reserving.engine.default import METHODS as DEFAULT_METHODS
from reserving.engine.development import link_ratio_averages
from reserving.engine.errors import EngineError
from reserving.engine.triangle import origin_key
from reserving.forms import (LDF_PREFIX, OVERRIDE_PREFIX, ULTIMATE_PREFIX, AprioriYearsForm, RegimeVersionForm,
                             RejectForm, RunCreateForm, SelectionForm)
from reserving.models import AprioriLossRatio, Regime, ReserveRun, RunDataCheck


@admin.register(Regime)
class RegimeAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "effective_from", "name", "runs_count")
    list_filter = ("code",)
    readonly_fields = ("code", "version", "effective_from", "name", "parameters", "description", "created_at")

    @admin.display(description=_("runs"))
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
            raise DjangoPermissionDenied(_("creating a regime version needs the actuary role"))
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
                messages.success(request, _("regime %(regime)s created") % {"regime": regime})
                return HttpResponseRedirect(reverse("admin:reserving_regime_changelist"))
        context = {**self.admin_site.each_context(request), "title": _("New regime version"), "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/reserving/form_page.html", context)


@admin.register(AprioriLossRatio)
class AprioriLossRatioAdmin(admin.ModelAdmin):
    """The a-priori loss ratios BF, Benktander and ELR use, kept by the actuary with their source;
    saved through reserving.services (role check, audit row), never deleted (history is read by
    runs as at their cut-off)."""

    list_display = ("segment_shown", "currency", "underwriting_year", "loss_ratio", "source", "note", "entered_by",
                    "entered_at")
    list_filter = ("segment", "currency", "source")
    readonly_fields = ("entered_by", "entered_at")

    @admin.display(description=_("segment"), ordering="segment")
    def segment_shown(self, obj):
        return code_shown(obj.segment, segment_name)

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
            raise DjangoPermissionDenied(_("reserve runs are for the reserving roles"))

    @admin.display(description=_("status"))
    def status_display(self, obj):
        return obj.status_label

    @admin.display(description=_("progress"))
    def progress_display(self, obj):
        return obj.progress

    @admin.display(description=_("fingerprint"))
    def fingerprint_short(self, obj):
        return obj.input_fingerprint[:12]

    def get_urls(self):
        own = [
            path("<int:run_id>/do/<str:verb>/", self.admin_site.admin_view(self.action_view), name="reserving_run_action"),
            path("<int:run_id>/check/<int:check_id>/acknowledge/", self.admin_site.admin_view(self.acknowledge_view),
                 name="reserving_run_acknowledge"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/", self.admin_site.admin_view(self.segment_view),
                 name="reserving_run_segment"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/apriori/",
                 self.admin_site.admin_view(self.apriori_view), name="reserving_run_apriori"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/preview/",
                 self.admin_site.admin_view(self.preview_view), name="reserving_run_preview"),
            path("<int:run_id>/progress/", self.admin_site.admin_view(self.progress_view), name="reserving_run_progress"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/backtest/",
                 self.admin_site.admin_view(self.backtest_view), name="reserving_run_backtest"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/chart/<str:chart>/",
                 self.admin_site.admin_view(self.chart_view), name="reserving_run_chart"),
            path("<int:run_id>/segment/<str:segment>/<str:currency>/part/<str:part>/",
                 self.admin_site.admin_view(self.part_view), name="reserving_run_part"),
            path("<int:run_id>/report/", self.admin_site.admin_view(self.report_view), name="reserving_run_report"),
            path("<int:run_id>/report/xlsx/", self.admin_site.admin_view(self.report_xlsx_view),
                 name="reserving_run_report_xlsx"),
        ]
        return own + super().get_urls()

    # ---------------------------------------------------------------- pages
    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied(_("creating a run needs the actuary role"))
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
                    self._call(request, lambda: services.run_compute(run=run, actor=request.user), _("computing"))
                return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run.pk]))
        context = {**self.admin_site.each_context(request), "title": _("New reserve run"), "form": form,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/reserving/form_page.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=int(object_id))
        results = list(selectors.run_segment_results(run=run))
        context = {
            **self.admin_site.each_context(request), "title": _("Reserve run %(pk)s") % {"pk": run.pk}, "run": run,
            "results": results, "checks": _checks_shown(run), "events": run.events.select_related("actor"),
            "opts": self.model._meta, "reject_form": RejectForm(), "period_label": Quarter.of(run.valuation_date).label,
            "totals_by_currency": _totals(results), "can": _abilities(request.user, run),
            "selections_shown": _selections_shown(run.selections),
            **self._review_context(run),
        }
        return TemplateResponse(request, "admin/reserving/run_detail.html", context)

    def _review_context(self, run: ReserveRun) -> dict:
        """The changes against the prior approved run (issue 13 §5), shown above the Approve
        button, and the link to the run's reserving report (§6)."""
        return {"review_html": run_report.review_html(run_review.run_review(run=run)),
                "review_style": run_report.REVIEW_STYLE,
                "report_url": reverse("admin:reserving_run_report", args=[run.pk])}

    def segment_view(self, request, run_id, segment, currency, apriori_form=None):
        """The segment's workbench; a POST saves the selection. `apriori_form`: the a-priori
        form posted to apriori_view and refused, shown again (the selection then as saved)."""
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        result = run.segment_results.filter(segment=segment, currency=currency).prefetch_related("origins").first()
        current = run.selections.get(f"{segment}|{currency}", {})
        built = _exhibit_triangle(result)
        posted = request.method == "POST" and apriori_form is None  # a selection posted here
        data, exclusions = (workbench.apply_exclusions(request.POST, _triangle_of(built)) if posted
                            else (None, workbench.NO_EXCLUSIONS))
        form = SelectionForm(data, initial={k: v for k, v in current.items() if k not in ("overrides", "ldfs", "ultimates")})
        run_ldf = (result.factors or {}).get("ldf") if result is not None else None
        tail = None
        if posted:
            valid = form.is_valid()
            for problem in exclusions.problems:
                form.add_error("ldfs", problem)
            tail = workbench.apply_tail_pick(request.POST, _triangle_of(built), run_ldf,
                                             (form.cleaned_data.get("ldfs") or {}) if valid else {})
            if tail.problem:
                form.add_error("tail", tail.problem)
            if valid and not exclusions.problems and not tail.problem:
                selection = workbench.with_tail_pick(workbench.with_exclusion_note(form.selection(), exclusions), tail)
                try:
                    services.run_selection_set(run=run, segment=segment, currency=currency, actor=request.user,
                                               selection=selection)
                except DomainError as exc:
                    form_add_domain_error(form, exc)
                    messages.error(request, _("nothing saved: %(message)s") % {"message": exc.message})
                else:
                    messages.success(request, _("selection saved; compute the run again to apply it"))
                    return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run.pk]))
        if form.is_bound:
            picked_overrides, posted = form.posted_controls()
            picked_ldfs = {age: values[-1] for age, values in posted.items() if values}
            typed = form.posted_ultimates()
        else:
            picked_overrides = dict(current.get("overrides") or {})
            picked_ldfs = {str(age): repr(float(f)) for age, f in (current.get("ldfs") or {}).items()}
            typed = {str(o): _amount_input(v) for o, v in (current.get("ultimates") or {}).items()}
        tri = (result.triangles if result else {}) or {}
        if tail is None:  # the page as saved: the curve the note names, fitted to the run's factors
            note = str(current.get("note") or "")
            tail = workbench.TailPick(next((c for c in workbench.CURVES if f"tail: {c.replace('_', '-')} fit" in note),
                                           workbench.TAIL_CONSTANT), None, [], "", "")
        exhibit = _development_exhibit(run, result, built, picked_ldfs, exclusions, tail=tail,
                                       errors=form.age_errors() if form.is_bound else {})
        diagnostics = workbench.segment_diagnostics(run=run, result=result)
        _with_grids(exhibit, None, can_select=_abilities(request.user, run)["select"])  # measures: a part
        if exhibit and not exhibit.get("error"):
            exhibit["reference_parts"] = [
                {"measure": m, "title": REFERENCE_TITLES[m],
                 "url": reverse("admin:reserving_run_part", args=[run.pk, segment, currency, f"exhibit_{m}"])}
                for m in exhibit["references"]]
        can_do = _abilities(request.user, run)
        if apriori_form is None and can_do["select"] and can(request.user, Operation.APRIORI_SAVE):
            apriori_form = self._apriori_form(None, result, segment, currency)
        context = {
            **self.admin_site.each_context(request), "title": _("Run %(pk)s: %(segment)s %(currency)s") % {
                "pk": run.pk, "segment": segment_name(segment), "currency": currency}, "run": run,
            "result": result, "segment": segment, "currency": currency, "form": form, "opts": self.model._meta,
            "amounts": _segment_amounts(result, currency),
            "summary": _ultimates_summary(result, currency, picked_overrides,
                                          errors=form.errors.get("overrides", []) if form.is_bound else [],
                                          typed=typed, typed_errors=_ultimate_errors(form) if form.is_bound else {}),
            "exhibit": exhibit,
            "bootstrap": _bootstrap_rows(result.bootstrap if result else None, currency),
            "provenance": _provenance_items(result.provenance if result else None, currency),
            "used_selection": _selection_items(result.selections if result else None, currency),
            "saved_selection": _selection_items(current, currency),
            "has_stored": bool(tri.get("incurred") or tri.get("paid")),
            "stored_html": _stored_inline(tri),
            "apriori_url": reverse("admin:reserving_apriorilossratio_changelist") + "?"
                           + urlencode({"segment": segment, "currency": currency}),
            "apriori_form": apriori_form,
            "apriori_save_url": reverse("admin:reserving_run_apriori", args=[run.pk, segment, currency]),
            "part_urls": {name: reverse("admin:reserving_run_part", args=[run.pk, segment, currency, name])
                          for name in PARTS},
            "preview_url": reverse("admin:reserving_run_preview", args=[run.pk, segment, currency]),
            "backtest_url": reverse("admin:reserving_run_backtest", args=[run.pk, segment, currency]),
            "can": can_do, "preview_text": _preview_text(),
            "diagnostics": diagnostics,
            "chart_urls": {name: reverse("admin:reserving_run_chart", args=[run.pk, segment, currency, name])
                           for name in workbench.CHARTS},
        }
        return TemplateResponse(request, "admin/reserving/run_segment.html", context)

    @staticmethod
    def _apriori_form(data, result, segment: str, currency: str) -> AprioriYearsForm:
        """The a-priori form of the underwriting years the segment's origins cover ("2024",
        "2024Q3" → 2024), with what is kept for them."""
        origins = result.origins.all() if result is not None else []
        years = sorted({int(o.origin[:4]) for o in origins if o.origin[:4].isdigit()})
        kept = selectors.apriori_loss_ratios_kept(segment=segment, currency=currency, years=years)
        return AprioriYearsForm(data, years=years, kept=kept)

    def apriori_view(self, request, run_id, segment, currency):
        """Save the a-priori loss ratios typed by underwriting year under the summary of
        ultimates, all in one transaction (reserving.services.apriori_loss_ratios_save); a
        refused row is marked on the segment page shown again, nothing saved."""
        self._require_view(request)
        segment_url = reverse("admin:reserving_run_segment", args=[run_id, segment, currency])
        if request.method != "POST":
            return HttpResponseRedirect(segment_url)
        run = get_object_or_404(ReserveRun, pk=run_id)
        result = run.segment_results.filter(segment=segment, currency=currency).prefetch_related("origins").first()
        form = self._apriori_form(request.POST, result, segment, currency)
        valid = form.is_valid()
        try:  # the service is asked even for a form that did not validate: its refusal comes first
            saved = services.apriori_loss_ratios_save(segment=segment, currency=currency,
                                                      rows=form.changed_rows() if valid else [], actor=request.user)
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        except DomainError as exc:
            form_add_domain_error(form, exc)
        else:
            if valid:
                if saved:
                    messages.success(request, _("a-priori loss ratios saved for %(years)s; runs cut off from now on "
                                                "read them (this run keeps those of its cut-off)") % {
                        "years": ", ".join(str(r.underwriting_year) for r in saved)})
                else:
                    messages.info(request, _("no a-priori loss ratio changed"))
                return HttpResponseRedirect(segment_url + "#apriori")
        messages.error(request, _("the a-priori loss ratios were not saved: correct what is marked"))
        return self.segment_view(request, run_id, segment, currency, apriori_form=form)

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
            self._call(request, lambda: services.run_compute(run=run, actor=user), _("computing"))
        elif verb == "retry":
            self._call(request, lambda: services.run_retry(run=run, actor=user), _("missing segments re-dispatched"))
        elif verb == "submit":
            self._call(request, lambda: services.run_submit(run=run, actor=user), _("submitted for approval"))
        elif verb == "approve":
            self._call(request, lambda: services.run_approve(run=run, actor=user), _("approved"))
        elif verb == "reject":
            form = RejectForm(request.POST)
            reason = form.data.get("reason", "")
            self._call(request, lambda: services.run_reject(run=run, actor=user, reason=reason), _("rejected"))
        elif verb == "rerun":
            box = {}

            def rerun():
                box["run"] = services.run_rerun(run=run, actor=user)
            if self._call(request, rerun, _("rerun started")):
                target = box["run"].pk
        elif verb == "close_period":
            label = Quarter.of(run.valuation_date).label
            self._call(request, lambda: services.period_close(label=label, actor=user), _("period %(label)s closed") % {"label": label})
        else:
            messages.error(request, _("unknown action %(verb)s") % {"verb": verb})
        return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[target]))

    def acknowledge_view(self, request, run_id, check_id):
        self._require_view(request)
        check = get_object_or_404(RunDataCheck, pk=check_id, run_id=run_id)
        if request.method == "POST":
            self._call(request, lambda: services.run_check_acknowledge(check=check, actor=request.user), _("acknowledged"))
        return HttpResponseRedirect(reverse("admin:reserving_reserverun_change", args=[run_id]))

    def preview_view(self, request, run_id, segment, currency):
        """The live preview: the selection's effect computed now, saved nowhere, beside the
        run's current figures per origin with the difference; with exclusions, the averages
        recomputed without them (the page redraws its picks from them)."""
        self._require_view(request)
        if request.method != "POST":
            return JsonResponse({"error": str(_("POST the selection form"))}, status=405)
        run = get_object_or_404(ReserveRun, pk=run_id)
        result = run.segment_results.filter(segment=segment, currency=currency).prefetch_related("origins").first()
        data, exclusions = request.POST, workbench.NO_EXCLUSIONS
        if request.POST.getlist(workbench.EXCLUDE):
            data, exclusions = workbench.apply_exclusions(request.POST, _triangle_of(_exhibit_triangle(result)))
        form = SelectionForm(data, note_required=False)  # nothing is saved: the note is asked for on saving
        valid = form.is_valid()
        tail = workbench.apply_tail_pick(request.POST, _triangle_of(_exhibit_triangle(result)),
                                         (result.factors or {}).get("ldf") if result is not None else None,
                                         (form.cleaned_data.get("ldfs") or {}) if valid else {})
        if not valid or exclusions.problems or tail.problem:
            errors = dict(form.errors)
            if exclusions.problems:
                errors["ldfs"] = list(errors.get("ldfs", [])) + exclusions.problems
            if tail.problem:
                errors["tail"] = list(errors.get("tail", [])) + [tail.problem]
            return JsonResponse({"errors": errors, "age_errors": form.age_errors(),
                                 "ultimate_errors": _ultimate_errors(form)}, status=400)
        try:
            preview = services.run_selection_preview(run=run, segment=segment, currency=currency,
                                                     selection=workbench.with_tail_pick(form.selection(), tail))
        except DomainError as exc:
            return JsonResponse({"errors": exc.field_errors,
                                 "ultimate_errors": _engine_ultimate_errors([exc.message]) if exc.field == "ultimates"
                                 else {}}, status=400)
        return JsonResponse({**preview, **_preview_beside(preview, result, currency),
                             "averages": _averages_json(exclusions.averages), "excluded": exclusions.shown,
                             "exclusion_note": exclusions.note, "tail_pick": tail.pick, "tail_note": tail.note,
                             "tail_fits": [{k: v for k, v in f.items() if k != "tail"} for f in tail.fits]})

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
        context = {**self.admin_site.each_context(request), "title": _("Run %(pk)s: %(segment)s %(currency)s back-test") % {
                       "pk": run.pk, "segment": segment_name(segment), "currency": currency},
                   "run": run, "segment": segment, "currency": currency, "cuts": cuts, "error": error,
                   "summary": summary, "by_cut": by_cut, "opts": self.model._meta}
        return TemplateResponse(request, "admin/reserving/run_backtest.html", context)

    def chart_view(self, request, run_id, segment, currency, chart):
        """A workbench chart as plotly JSON (data, layout, a message when there is nothing to
        draw), fetched by the segment page's script so the page itself carries no chart data."""
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        result = run.segment_results.filter(segment=segment, currency=currency).prefetch_related("origins").first()
        if chart not in workbench.CHARTS:
            return JsonResponse({"error": f"unknown chart {chart}; known: {', '.join(workbench.CHARTS)}"}, status=404)
        if result is None:  # a segment not computed yet: the page draws the message, as for any empty chart
            return JsonResponse({"chart": chart, "data": [], "layout": {},
                                 "message": str(_("run %(run)s has no result for %(segment)s %(currency)s yet") % {
                                     "run": run.pk, "segment": segment_name(segment), "currency": currency})})
        try:
            if chart == "development":
                figure = workbench.development_chart(run=run, result=result)
            elif chart == "loss_ratios":
                figure = workbench.loss_ratio_chart(run=run, result=result)
            elif chart == "bootstrap":
                figure = workbench.bootstrap_chart(run=run, result=result)
            elif chart == "emergence":
                figure = workbench.emergence_chart(run=run, result=result)
            else:
                return JsonResponse({"error": f"unknown chart {chart}; known: {', '.join(workbench.CHARTS)}"},
                                    status=404)
        except EngineError as exc:
            figure = {"chart": chart, "data": [], "layout": {}, "message": str(_("cannot be drawn: %(reason)s") % {"reason": exc.message})}
        return JsonResponse(figure)

    def part_view(self, request, run_id, segment, currency, part):
        """A part of the segment page that is closed when the page opens, as an HTML fragment the
        page fetches when it is opened: the diagnostic triangles ("measures") and the quarterly
        triangles as stored ("stored"). The page itself stays small and fast."""
        self._require_view(request)
        if part not in PARTS:
            return HttpResponse(f"unknown part {part}; known: {', '.join(PARTS)}", status=404,
                                content_type="text/plain; charset=utf-8")
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        result = run.segment_results.filter(segment=segment, currency=currency).prefetch_related("origins").first()
        if result is None:
            return HttpResponse(format_html("<p>{}</p>", _("no result for this segment yet")))
        if part == "stored":
            tri = result.triangles or {}
            html = format_html_join("", "<h4>{}</h4>{}", ((title, grid) for title, grid in (
                (_("Incurred"), _stored_grid(tri.get("incurred"))), (_("Paid"), _stored_grid(tri.get("paid"))))
                if grid is not None))
            return HttpResponse(html or format_html("<p>{}</p>", _("no triangle stored")))
        if part.startswith("exhibit_"):
            return HttpResponse(_reference_exhibit(run, result, part[len("exhibit_"):]))
        diagnostics = workbench.segment_diagnostics(run=run, result=result)
        _with_grids(None, diagnostics, can_select=False)
        return TemplateResponse(request, "admin/reserving/run_segment_measures.html", {"diagnostics": diagnostics})

    def progress_view(self, request, run_id):
        self._require_view(request)
        run = get_object_or_404(ReserveRun, pk=run_id)
        return JsonResponse({"status": run.status, "segments_done": run.segments_done,
                             "segments_total": run.segments_total, "error": run.error})


    def report_view(self, request, run_id):
        """The run's reserving report (issue 13 §6) as a page, from the stored results."""
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        report = run_report.run_report(run=run)
        context = {**self.admin_site.each_context(request), **report, "opts": self.model._meta,
                   "title": _("Reserving report, run %(pk)s") % {"pk": run.pk},
                   "review_style": run_report.REVIEW_STYLE,
                   "xlsx_url": reverse("admin:reserving_run_report_xlsx", args=[run.pk])}
        return TemplateResponse(request, "admin/reserving/run_report.html", context)

    def report_xlsx_view(self, request, run_id):
        """The run's reserving report as an XLSX download: the same bytes for the same run."""
        self._require_view(request)
        run = get_object_or_404(selectors.runs_list(), pk=run_id)
        response = HttpResponse(run_report.report_xlsx(run=run),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="{run_report.report_filename(run)}"'
        return response

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


def _checks_shown(run: ReserveRun) -> list[RunDataCheck]:
    """The run's data checks, each with its text in the user's language (the stored message is English)."""
    checks = list(run.data_checks.all())
    for c in checks:
        c.text = check_text(c.code, c.row_count, c.message)
    return checks


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
    rows = [(o, ["" if v is None else number_text(v, digits) for v in vals])
            for o, vals in zip(blob["origins"], blob["values"])]
    return {"ages": blob["ages"], "rows": rows}



# ------------------------------------------------------------------ the segment page (workbench)
# The wide tables (a quarterly triangle of the demo book is 31 × 31, and the page has seven of
# them) are built here as one string each: the template engine's loop costs ~0.1 ms a cell,
# which alone broke the page's 500 ms budget. Cells carry no attributes but their state; the
# table's class right-aligns them.
def _grid_html(css: str, corner, ages, rows) -> str:
    """A table of origin rows by age; rows are (origin, [cell]) with each cell a (markup, args)
    pair: the markup a constant `<td>` format string, the args escaped by format_html (one call
    a row: a call a cell costs twice as much on a 31 × 31 triangle)."""
    head = format_html_join("", "<th>{}</th>", ((a,) for a in ages))
    body = format_html_join("", "{}", ((format_html("<tr><th>{}</th>" + "".join(m for m, _ in cells) + "</tr>",
                                                    o, *(x for _, args in cells for x in args)),)
                                       for o, cells in rows))
    return format_html('<div class="wb-scroll"><table class="wb {} wb-n"><thead><tr><th>{}</th>{}</tr></thead>'
                       "<tbody>{}</tbody></table></div>", css, corner, head, body)


def _td(text):
    return "<td>{}</td>", (text,)


def _link_td(cell, can_select: bool):
    """A link ratio: (shown, "origin|age", excluded) or None; for the actuary a checkbox in
    its label, so that a click on the ratio excludes it."""
    if cell is None:
        return "<td></td>", ()
    shown, value, excluded = cell
    if not can_select:
        return _td(shown)
    if excluded:
        return ('<td class="wb-x"><label><input type="checkbox" form="selection-form" name="exclude" value="{}" '
                "checked>{}</label></td>", (value, shown))
    return ('<td><label><input type="checkbox" form="selection-form" name="exclude" value="{}">{}</label></td>',
            (value, shown))


def _diagnostic_td(c):
    if not c["latest"]:
        return _td(c["text"])
    return '<td class="{}">{}</td>', ("wb-latest wb-shift" if c["flagged"] else "wb-latest", c["text"])


def _with_grids(exhibit, diagnostics, *, can_select: bool) -> None:
    """The exhibit's triangle and link ratios and the diagnostic triangles as HTML (`*_html`)."""
    origin = _("origin")
    if exhibit and not exhibit.get("error"):
        exhibit["triangle_html"] = _grid_html("wb-triangle", origin, exhibit["triangle_ages"],
                                              [(o, [_td(v) for v in vals]) for o, vals in exhibit["triangle"]])
        exhibit["links_html"] = _grid_html("wb-links", origin, exhibit["ages"],
                                           [(o, [_link_td(c, can_select) for c in cells])
                                            for o, cells in exhibit["link_ratios"]])
        exhibit["averages_html"] = (_averages_html if can_select else _averages_text_html)(exhibit["averages"])
    for m in (diagnostics or {}).get("measures", []):
        m["html"] = _grid_html(f"wb-diag-{m['key']}", "origin", m["ages"],
                               [(o, [_diagnostic_td(c) for c in cells]) for o, cells in m["rows"]])


STORED_INLINE_CELLS = 400  # a stored quarterly triangle up to 20 × 20 stays on the page; a bigger one is a part


def _stored_inline(tri: dict) -> SafeString | None:
    """The stored quarterly triangles as HTML when they are small; None when they are big
    (the page fetches them when their section is opened)."""
    blob = tri.get("incurred") or tri.get("paid") or {}
    if len(blob.get("origins") or []) * len(blob.get("ages") or []) > STORED_INLINE_CELLS:
        return None
    return format_html_join("", "<h4>{}</h4>{}", ((title, grid) for title, grid in (
        (_("Incurred"), _stored_grid(tri.get("incurred"))), (_("Paid"), _stored_grid(tri.get("paid"))))
        if grid is not None))


def _stored_grid(blob) -> str | None:
    """A stored quarterly triangle (origin quarter × age) as HTML; None without one."""
    table = _table(blob)
    if table is None:
        return None
    return _grid_html("wb-stored", _("origin"), table["ages"], [(o, [_td(v) for v in vals]) for o, vals in table["rows"]])


PARTS = ("measures", "stored", "exhibit_paid", "exhibit_incurred", "exhibit_count")
REFERENCE_MEASURES = ("paid", "incurred", "count")  # the exhibits beside the basis one, for reading
REFERENCE_TITLES = {"paid": _("Paid development exhibit"), "incurred": _("Incurred development exhibit"),
                    "count": _("Reported claim counts development exhibit")}
FLAG_LABELS = {"negative_ibnr": _("negative IBNR"), "override": _("override"), "short_history": _("short history")}


def _money(value, currency: str) -> str:
    """An amount to read, grouped per the active locale to the currency's minor unit (IRR 0, RUB
    2; core.money_format); "—" for none. Never an input's value: those stay plain (_amount_input)."""
    if value is None or value == "":
        return "—"
    return amount_text(value, currency)


def _percent(value, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def _segment_amounts(result, currency: str) -> list[tuple[str, str]]:
    if result is None:
        return []
    return [(label, _money(getattr(result, name), currency)) for label, name in (
        (_("UPR"), "upr"), (_("RBNS"), "rbns"), (_("IBNR"), "ibnr"), (_("ULAE"), "ulae"),
        (_("premium deficiency"), "premium_deficiency"), (_("earned premium"), "earned_premium"))]


def _ultimates_summary(result, currency: str, picked: dict[str, str], errors=(), typed=None,
                       typed_errors=None) -> dict | None:
    """Per origin: reported, maturity, a-priori, the ultimate by every method the engine ran (in
    `default.METHODS` order), the selected one (its method's cell marked) and the IBNR, with the
    override select's choices and the number input of an ultimate the actuary types (`typed`:
    {origin: text}, `typed_errors`: {origin: [message]}); and a total row."""
    typed, typed_errors = typed or {}, typed_errors or {}
    origins = list(result.origins.all()) if result is not None else []
    if not origins:
        return None
    methods = [m for m in DEFAULT_METHODS if any(m in (o.ultimates or {}) for o in origins)]
    rows = []
    totals = {"paid": ZERO, "case": ZERO, "incurred": ZERO, "ultimate": ZERO, "ibnr": ZERO,
              **{m: ZERO for m in methods}}
    for o in origins:
        incurred = o.paid + o.case
        ultimates = o.ultimates or {}
        pick = picked.get(o.origin, "")
        choices = [("", _("rule"))] + [(m, method_name(m)) for m in DEFAULT_METHODS]
        if pick and pick not in DEFAULT_METHODS:  # an alias stored before the workbench ("bf")
            choices.append((pick, method_name(pick)))
        rows.append({
            "origin": o.origin, "paid": _money(o.paid, currency), "case": _money(o.case, currency),
            "incurred": _money(incurred, currency), "maturity": _percent(o.maturity),
            "apriori": _percent(o.apriori, 1), "method": method_name(o.method),
            "cells": [{"method": m, "value": _money(ultimates.get(m), currency), "selected": m == o.method}
                      for m in methods],
            "ultimate": _money(o.ultimate, currency), "ibnr": _money(o.ibnr, currency),
            "negative": o.ibnr < 0, "flags": [FLAG_LABELS.get(f, f) for f in (o.flags or [])],
            "select_name": f"{OVERRIDE_PREFIX}{o.origin}", "choices": choices, "picked": pick,
            "errors": [str(e) for e in errors if f"origin {o.origin}" in str(e)],
            "typed_name": f"{ULTIMATE_PREFIX}{o.origin}", "typed": typed.get(o.origin, ""),
            "typed_errors": typed_errors.get(o.origin, []),
        })
        for key, value in (("paid", o.paid), ("case", o.case), ("incurred", incurred), ("ultimate", o.ultimate),
                           ("ibnr", o.ibnr)):
            totals[key] += value
        for m in methods:
            totals[m] += to_decimal(ultimates.get(m, "0"))
    total = {k: _money(v, currency) for k, v in totals.items()}
    return {"methods": methods, "rows": rows, "total": total, "total_cells": [total[m] for m in methods]}


def _amount_input(value) -> str:
    """A saved typed ultimate as a number input's value: 150000.0 → "150000", 1234.5 → "1234.5"."""
    amount = float(value)
    return str(int(amount)) if amount.is_integer() and abs(amount) < 1e15 else repr(amount)


# the engine's words for a typed ultimate it refuses (reserving/engine/reserve.py: Selection.parse, _typed)
_TYPED_ONE = re.compile(r"typed ultimate for origin (\S+?):")
_TYPED_UNKNOWN = re.compile(r"typed ultimate for origin\(s\) not in the triangle: ([^;]+);")


def _engine_ultimate_errors(messages) -> dict[str, list[str]]:
    """{origin: [message]} of the engine's refusals of typed ultimates, by the origin each names."""
    out: dict[str, list[str]] = {}
    for message in map(str, messages):
        one, unknown = _TYPED_ONE.search(message), _TYPED_UNKNOWN.search(message)
        origins = [one.group(1)] if one else [o.strip() for o in unknown.group(1).split(",")] if unknown else []
        for origin in origins:
            out.setdefault(origin, []).append(message)
    return out


def _ultimate_errors(form: SelectionForm) -> dict[str, list[str]]:
    """The typed ultimates' problems by origin: the form's own (a bad amount) and the service's
    (an origin the triangle lacks), each once."""
    out = {o: list(ms) for o, ms in form.ultimate_errors.items()}
    own = {m for ms in out.values() for m in ms}
    for origin, ms in _engine_ultimate_errors(m for m in form.errors.get("ultimates", []) if m not in own).items():
        out.setdefault(origin, []).extend(ms)
    return out


def _basis_triangle(result):
    """The basis triangle (incurred unless the regime reserves on paid) at the grain the result
    was computed on, rebuilt from the stored quarterly frame; (triangle, basis, grain) or None."""
    factors, provenance = result.factors or {}, result.provenance or {}
    basis = factors.get("basis") or provenance.get("basis") or "incurred"
    blob = (result.triangles or {}).get(basis)
    if not blob or not blob.get("values") or not blob.get("ages"):
        return None
    frame = pd.DataFrame([[np.nan if v is None else v for v in row] for row in blob["values"]],
                         index=blob["origins"], columns=[int(a) for a in blob["ages"]], dtype=float)
    triangle = _to_triangle(frame, basis)
    grain = provenance.get("grain") or "OQDQ"
    return (triangle if grain == "OQDQ" else triangle.grain(grain)), basis, grain


def _exhibit_triangle(result):
    """The exhibit's triangle (see _basis_triangle), None when there is none; an EngineError
    is returned in place of the triangle so that the page can say it."""
    if result is None or not (result.factors or {}).get("ldf"):
        return None
    try:
        return _basis_triangle(result)
    except EngineError as exc:
        return exc


def _triangle_of(built):
    return built[0] if isinstance(built, tuple) else None


def _development_exhibit(run, result, built, picked: dict[str, str], exclusions, *, tail=None,
                         errors=None) -> dict | None:
    """The development exhibit at the result's grain: the triangle, its link ratios (each a
    checkbox `exclude` = "origin|age"), the averages per age without the excluded ratios (each
    a radio `ldf_<age>` whose value is the factor), the run's selected LDF and the prior
    approved run's beside them, a number input per age for a factor of one's own, and the
    tail with the exponential and inverse-power fits to the selected factors."""
    if isinstance(built, EngineError):
        return {"error": built.message}
    if built is None:
        return None
    triangle, basis, grain = built
    try:
        averages = exclusions.averages if exclusions.averages is not None else link_ratio_averages(triangle)
    except EngineError as exc:
        return {"error": exc.message}
    ages = [int(a) for a in averages.columns]
    if not ages:
        return None
    shown_picks = {age: picked.get(str(age), "") for age in ages}
    matched: set[int] = set()
    rows = []
    for (average, periods), values in averages.iterrows():
        cells = []
        for age, value in zip(ages, values):
            if not np.isfinite(value):
                cells.append(None)
                continue
            factor = repr(float(value))
            checked = bool(shown_picks[age]) and _same_factor(shown_picks[age], factor)
            if checked:
                matched.add(age)
            cells.append({"name": f"{LDF_PREFIX}{age}", "value": factor, "shown": f"{value:.4f}", "checked": checked})
        rows.append({"average": average, "periods": periods, "key": f"{average}|{periods}", "cells": cells,
                     "average_shown": average_name(average), "periods_shown": periods_name(periods)})
    factors = result.factors or {}
    selected = factors.get("ldf", {})
    prior = workbench.prior_factors(run=run, result=result)
    same_grain = bool(prior) and prior.get("grain") == grain
    excluded = set(exclusions.shown)
    link = triangle.link_ratios()
    link_rows = []
    for o, row in zip(link.index, link.to_numpy()):
        key = origin_key(o)
        link_rows.append((key, [None if not np.isfinite(v) else
                                (f"{v:.4f}", f"{key}|{a}", f"{key}|{a}" in excluded) for a, v in zip(ages, row)]))
    ldf_by_age = {int(a): float(f) for a, f in selected.items() if f is not None}
    pick = tail.pick if tail is not None else workbench.TAIL_CONSTANT
    fits = (tail.fits if tail is not None and tail.fits else workbench.tail_fits(triangle, ldf_by_age))
    errors = errors or {}
    return {
        "basis": basis, "grain": grain, "ages": ages, "triangle_ages": [int(a) for a in triangle.ages],
        "triangle": [(origin_key(o), ["" if not np.isfinite(v) else number_text(v) for v in row])
                     for o, row in zip(triangle.origins, triangle.values)],
        "link_ratios": link_rows, "excluded": exclusions.shown,
        "averages": rows,
        "selected": ["" if selected.get(str(a)) is None else f"{float(selected[str(a)]):.4f}" for a in ages],
        "prior": prior and {**prior, "same_grain": same_grain,
                            "cells": ["" if a not in prior["ldf"] else f"{prior['ldf'][a]:.4f}" for a in ages]},
        "own": [{"name": f"{LDF_PREFIX}{a}", "checked": not shown_picks[a]} for a in ages],
        "typed": [{"name": f"{LDF_PREFIX}{a}", "value": "" if a in matched else shown_picks[a],
                   "errors": errors.get(str(a), [])} for a in ages],
        "age_errors": any(errors.get(str(a)) for a in ages),
        "restated": bool((result.provenance or {}).get("case_adjustment")),
        "tail": factors.get("tail"), "tail_fits": fits, "tail_pick": pick,
        "tail_constant": workbench.TAIL_CONSTANT,
        "references": [m for m in REFERENCE_MEASURES if m != basis],
    }


def _reference_exhibit(run, result, measure: str) -> SafeString:
    """A development exhibit to read beside the selected one (paid, incurred or reported
    counts at the result's grain): the triangle, its link ratios and their averages. The
    selection develops the basis triangle only; these show how the others develop."""
    try:
        t = workbench.segment_triangles(run=run, result=result)
    except EngineError as exc:
        return format_html('<p class="errornote">{}</p>', exc.message)
    triangle = None if t is None else {"paid": t.paid, "incurred": t.incurred, "count": t.reported}[measure]
    if triangle is None:
        return format_html("<p>{}</p>", _("no such triangle stored for this run"))
    origin = _("origin")
    rows = [(origin_key(o), [_td("" if not np.isfinite(v) else number_text(v)) for v in row])
            for o, row in zip(triangle.origins, triangle.values)]
    ages = [int(a) for a in triangle.ages]
    link = triangle.link_ratios()
    link_rows = [(origin_key(o), [_td("" if not np.isfinite(v) else f"{v:.4f}") for v in row])
                 for o, row in zip(link.index, link.to_numpy())]
    try:
        averages = link_ratio_averages(triangle)
    except EngineError as exc:
        return format_html('<p class="errornote">{}</p>', exc.message)
    average_rows = [{"average": a, "periods": p, "key": f"{a}|{p}", "average_shown": average_name(a),
                     "periods_shown": periods_name(p),
                     "cells": [None if not np.isfinite(v) else {"shown": f"{v:.4f}"} for v in values]}
                    for (a, p), values in averages.iterrows()]
    head = format_html_join("", "<th>{}</th>", ((int(a),) for a in averages.columns))
    return format_html(
        '<div class="wb-reference" data-measure="{}"><h4>{}</h4>{}<h4>{}</h4>{}<h4>{}</h4><div class="wb-scroll">'
        '<table class="wb wb-reference-averages"><thead><tr><th>{}</th><th>{}</th>{}</tr></thead><tbody>{}</tbody>'
        "</table></div></div>", measure, _("Triangle (cumulative, origin × age in months)"),
        _grid_html("wb-triangle", origin, ages, rows), _("Link ratios"),
        _grid_html("wb-links", origin, ages[:-1], link_rows), _("Averages per age"), _("average"), _("periods"),
        head, _averages_text_html(average_rows))


_AVERAGE_ROW = ('<tr class="wb-average" data-average="{}" data-periods="{}" data-key="{}"><th>{}</th><th>{}</th>'
                "{}</tr>")
_NO_AVERAGE = format_html('<td class="num">{}</td>', "—")


def _averages_html(rows) -> SafeString:
    """The averages' rows (tbody of table.wb-averages), each cell a radio `ldf_<age>` in its
    label, built in Python: 16 rows × 30 ages through the template engine cost ~60 ms of the
    page's budget."""
    radio = '<td class="num"><label><input type="radio" form="selection-form" name="{}" value="{}"{}> {}</label></td>'

    def cell(c):
        if c is None:
            return _NO_AVERAGE
        return format_html(radio, c["name"], c["value"], " checked" if c["checked"] else "", c["shown"])

    return format_html_join("", "{}", ((format_html(
        _AVERAGE_ROW, row["average"], row["periods"], row["key"], row["average_shown"], row["periods_shown"],
        format_html_join("", "{}", ((cell(c),) for c in row["cells"]))),) for row in rows))


def _averages_text_html(rows) -> SafeString:
    """The averages' rows as text, for a user who may not select."""
    return format_html_join("", "{}", ((format_html(
        _AVERAGE_ROW, r["average"], r["periods"], r["key"], r["average_shown"], r["periods_shown"],
        format_html_join("", '<td class="num">{}</td>', ((c["shown"] if c else "—",) for c in r["cells"]))),)
        for r in rows))


def _averages_json(averages) -> dict | None:
    """The averages table for the page's script: {"volume|all": {age: factor}}; None without one."""
    if averages is None:
        return None
    return {f"{average}|{periods}": {str(int(a)): (repr(float(v)) if np.isfinite(v) else None)
                                     for a, v in values.items()}
            for (average, periods), values in averages.iterrows()}


def _preview_beside(preview: dict, result, currency: str) -> dict:
    """The preview's figures per origin beside the run's current ones, with the difference, as
    text to show: {"rows": [...], "total": {...}}; an origin only one side has shows "—"."""
    now = {o.origin: o for o in (result.origins.all() if result is not None else [])}
    rows, totals = [], {"now_ultimate": ZERO, "ultimate": ZERO, "now_ibnr": ZERO, "ibnr": ZERO}
    seen = set()
    for o in preview.get("origins", []):
        cur = now.get(o["origin"])
        ultimate, ibnr = to_decimal(o["ultimate"]), to_decimal(o["ibnr"])
        mack = o.get("mack_se")
        row = {"origin": o["origin"], "method": method_name(o["method"]), "ultimate": _money(ultimate, currency),
               "ibnr": _money(ibnr, currency), "mack_se": _money(mack, currency) if mack not in (None, "") else "—",
               "now_method": "—", "now_ultimate": "—", "now_ibnr": "—", "ultimate_change": "—", "ibnr_change": "—",
               "changed": False}
        totals["ultimate"] += ultimate
        totals["ibnr"] += ibnr
        if cur is not None:
            seen.add(cur.origin)
            totals["now_ultimate"] += cur.ultimate
            totals["now_ibnr"] += cur.ibnr
            row.update({"now_method": method_name(cur.method), "now_ultimate": _money(cur.ultimate, currency),
                        "now_ibnr": _money(cur.ibnr, currency),
                        "ultimate_change": _signed_money(ultimate - cur.ultimate, currency),
                        "ibnr_change": _signed_money(ibnr - cur.ibnr, currency),
                        "changed": ultimate != cur.ultimate or cur.method != o["method"]})
        rows.append(row)
    for origin, cur in now.items():  # an origin the preview's grain does not have
        if origin not in seen:
            totals["now_ultimate"] += cur.ultimate
            totals["now_ibnr"] += cur.ibnr
    total = {k: _money(v, currency) for k, v in totals.items()}
    total["ultimate_change"] = _signed_money(totals["ultimate"] - totals["now_ultimate"], currency)
    total["ibnr_change"] = _signed_money(totals["ibnr"] - totals["now_ibnr"], currency)
    return {"beside": {"rows": rows, "total": total, "has_current": bool(now)},
            "ibnr_method_name": method_name(preview.get("ibnr_method")),
            "ibnr_text": _money(to_decimal(preview["ibnr"]), currency),
            "current_ibnr_text": None if preview.get("current_ibnr") is None else _money(to_decimal(preview["current_ibnr"]), currency),
            "change_text": None if preview.get("change") is None else _signed_money(to_decimal(preview["change"]), currency)}


def _preview_text() -> dict:
    """The preview's words, for the page's script (json_script)."""
    return {"with_selection": str(_("With this selection: IBNR")), "now": str(_("now")), "change": str(_("change")),
            "refused": str(_("refused:")), "failed": str(_("preview failed:")), "total": str(_("total")),
            "columns": [str(c) for c in (_("origin"), _("method now"), _("method"), _("ultimate now"), _("ultimate"),
                                         _("difference"), _("IBNR now"), _("IBNR"), _("difference"), _("Mack s.e."))]}


def _signed_money(value, currency: str) -> str:
    text = _money(value, currency)
    return text if text.startswith("-") or text == "—" else f"+{text}"


def _same_factor(picked: str, factor: str) -> bool:
    try:
        return float(picked) == float(factor)
    except ValueError:
        return False


BOOTSTRAP_STATISTICS = (("mean", _("mean")), ("std", _("s.d.")), ("p75", _("75th percentile")), ("p95", _("95th percentile")),
                        ("p99_5", _("99.5th percentile")))


def _bootstrap_rows(blob, currency: str) -> dict | None:
    """The stored bootstrap (D-31 verdict) as rows: status, simulations, the statistics, and the
    percentiles only when it is meaningful, else its reasons."""
    if not blob:
        return None
    status = blob.get("status", "")
    rows = [(_("status"), bootstrap_status_name(status) or "—")]
    if "n_sims" in blob:
        rows.append((_("simulations"), number_text(int(blob["n_sims"]))))
    if "seed" in blob:
        rows.append((_("seed"), str(blob["seed"])))
    for key, label in BOOTSTRAP_STATISTICS:
        if key in blob and (status == "ok" or key in ("mean", "std")):
            rows.append((label, _money(blob[key], currency)))
    if blob.get("cv") is not None:
        rows.append((_("CV"), f"{blob['cv']:.2f}"))
    if status != "ok" and blob.get("first_percentile") is not None:
        rows.append((_("1st percentile"), _money(blob["first_percentile"], currency)))
    reasons = list(blob.get("reasons") or []) + ([blob["reason"]] if blob.get("reason") else [])
    return {"ok": status == "ok", "rows": rows, "reasons": reasons, "note": blob.get("note", "")}


def _provenance_items(blob, currency: str) -> list[tuple[str, list[str]]]:
    """How the result was made, as (term, [lines]) for a definition list."""
    if not blob:
        return []
    items: list[tuple[str, list[str]]] = []

    def add(term, *lines):
        lines = [str(x) for x in lines if x not in (None, "", [], {})]
        if lines:
            items.append((term, lines))

    add(_("grain"), blob.get("grain") and _grain_text(blob["grain"]), blob.get("grain_note"))
    add(_("basis"), basis_name(blob.get("basis")))
    add(_("method"), method_name(blob.get("method")),
        blob.get("fallback") and _("fallback: %(fallback)s") % {"fallback": blob["fallback"]})
    rule = blob.get("rule") or {}
    add(_("rule"), rule.get("name") if isinstance(rule, dict) else rule, isinstance(rule, dict) and rule.get("text"))
    overrides = blob.get("overrides") or {}
    add(_("overrides"), *[f"{o}: {method_name(m)}" for o, m in overrides.items()])
    add(_("typed ultimates"), *[f"{o}: {_money(v, currency)}" for o, v in (blob.get("typed_ultimates") or {}).items()])
    add(_("pattern"), blob.get("pattern"))
    add(_("tail"), blob.get("tail") is not None and f"{float(blob['tail']):.4f}")
    add(_("floor"), blob.get("floor") and _("%(floor)s; IBNR before the floor %(ibnr)s") % {
        "floor": blob["floor"], "ibnr": _money(blob.get("ibnr_before_floor"), currency)})
    case = blob.get("case_adjustment") or {}
    add(_("case adjustment"), case and ", ".join(f"{k}: {v}" for k, v in case.items()), blob.get("case_adjustment_note"))
    sources = blob.get("apriori_source")
    if isinstance(sources, dict) and sources:
        distinct = set(sources.values())
        add(_("a-priori source"), *(distinct if len(distinct) == 1 else [f"{o}: {s}" for o, s in sources.items()]))
    else:
        add(_("a-priori source"), sources)
    cape = blob.get("capecod_apriori") or {}
    add(_("Cape Cod a-priori"), *[f"{k}: {_percent(v, 1)}" for k, v in cape.items()])
    unavailable = blob.get("unavailable") or {}
    add(_("methods unavailable"), *[f"{method_name(m)}: {why}" for m, why in unavailable.items()])
    add(_("engine"), blob.get("engine"), blob.get("regime") and _("regime %(regime)s") % {"regime": blob["regime"]})
    return items


def _grain_text(code) -> str:
    """A grain by its name with its code, which the engine's notes and the exhibit use: "accident
    years × development years (OYDY)"; an unknown code as it is."""
    name = grain_name(code)
    return name if name == str(code) else f"{name} ({code})"


def _factor_text(value) -> str:
    try:
        return f"{float(value):.4f}"
    except (TypeError, ValueError):
        return str(value)


def _selection_value(key: str, value, currency: str) -> str:
    if key == "method":
        return method_name(value)
    if key == "grain":
        return _grain_text(value)
    if key == "basis":
        return basis_name(value)
    if key == "ldfs" and isinstance(value, dict):  # factors by age, in age order
        return ", ".join(f"{a}: {_factor_text(f)}" for a, f in sorted(value.items(), key=lambda x: int(str(x[0]))
                                                                       if str(x[0]).isdigit() else 0))
    if key == "tail":
        return _factor_text(value)
    if key == "apriori":
        try:
            return _percent(float(value), 1)
        except (TypeError, ValueError):
            return str(value)
    if key == "overrides" and isinstance(value, dict):
        return ", ".join(f"{o}: {method_name(m)}" for o, m in sorted(value.items()))
    if key == "ultimates" and isinstance(value, dict):
        return ", ".join(f"{o}: {_money(v, currency)}" for o, v in sorted(value.items()))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _selection_items(selection, currency: str) -> list[tuple[str, str]]:
    """A selection (as saved, or as a result used it) as (field, text) lines to read, without the
    engine's notes: fields and methods by their names, factors by age, typed ultimates as
    amounts of the segment's currency; the actuary's note last."""
    out = []
    items = sorted((selection or {}).items(), key=lambda kv: kv[0] == "note")
    for key, value in items:
        if key == "notes" or value in (None, "", {}, []):
            continue
        out.append((selection_field_name(key), _selection_value(key, value, currency)))
    return out


def _selections_shown(selections) -> list[dict]:
    """The run's saved selections ("segment|CUR" → selection) for its page: per segment and
    currency, the segment's name and the selection's lines."""
    out = []
    for key, selection in sorted((selections or {}).items()):
        segment, _sep, currency = str(key).partition("|")
        try:
            items = _selection_items(selection, currency)
        except (ValueError, ArithmeticError):  # an unknown currency in an old key: the lines as stored
            items = [(selection_field_name(k), str(v)) for k, v in (selection or {}).items() if k != "notes"]
        out.append({"key": key, "segment": segment, "segment_name": segment_name(segment), "currency": currency,
                    "items": items})
    return out
