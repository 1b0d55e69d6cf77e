"""Dashboards in the admin, from approved runs only. Thin: selectors gather, charts draw."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from django import forms
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control

from core.labels import segment_name

from core.periods import Quarter
from reporting import charts, selectors
from reserving.models import ReserveRun

NAV = [
    ("reporting:reserves", _("Reserves")),
    ("reporting:loss-ratios", _("Loss ratios")),
    ("reporting:premium", _("Premium and claims paid")),
    ("reporting:triangle", _("Triangle")),
    ("reporting:bootstrap", _("Bootstrap IBNR")),
    ("reporting:solvency", _("Solvency")),
    ("reporting:rollforward", _("Roll-forward & AvE")),
    ("reporting:exports", _("Exports")),
    ("reporting:alerts", _("Alerts")),
]


@lru_cache(maxsize=1)
def _plotly_js() -> tuple[bytes, bytes]:
    """plotly.js and its gzip: the cartesian partial bundle (scripts/fetch_plotly.py, every trace we
    draw: scatter, bar, heatmap), else the package's full bundle (4.8 MB) when it was not fetched."""
    import gzip

    from django.conf import settings
    from plotly.offline import get_plotlyjs, get_plotlyjs_version

    partial = Path(settings.BASE_DIR) / "static" / "vendor" / "plotly" / f"plotly-cartesian-{get_plotlyjs_version()}.min.js"
    if partial.exists():
        script = partial.read_bytes()
        packed = partial.with_name(partial.name + ".gz")
        return script, packed.read_bytes() if packed.exists() else gzip.compress(script, mtime=0)
    script = get_plotlyjs().encode()
    return script, gzip.compress(script, compresslevel=6, mtime=0)


@cache_control(max_age=86400, public=True)
def plotly_js(request):
    """plotly.js from our own server, never a CDN; gzip to a browser that accepts it (a third of the size)."""
    script, packed = _plotly_js()
    etag = '"%s"' % hashlib.sha256(script).hexdigest()[:32]
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(packed, content_type="application/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    return response


def _page(request, title: str, *, charts_html=(), tables=(), note: str = "", filters=None):
    context = {
        **admin.site.each_context(request),
        "title": title,
        "nav": [{"url": reverse(name), "label": label} for name, label in NAV],
        "charts": list(charts_html),
        "tables": list(tables),
        "note": note,
        "filters": filters,
    }
    return render(request, "admin/reporting/dashboard.html", context)


ALERT_KINDS = {"stuck run": _("stuck run"), "failed run": _("failed run"), "missed schedule": _("missed schedule")}


def alerts(request):
    """What the watchdog would log now (reserving.watchdog.watchdog_alerts): runs stuck or failed
    and beat schedules that missed their time — reads only; the beat task acts on them."""
    from django.utils import timezone

    from reserving.watchdog import watchdog_alerts

    rows = [[str(ALERT_KINDS.get(a.kind, a.kind)), a.subject,
             timezone.localtime(a.since).strftime("%Y-%m-%d %H:%M") if a.since else "", a.detail]
            for a in watchdog_alerts()]
    table = {"title": _("Alerts of the run watchdog"), "headers": [_("alert"), _("subject"), _("since"), _("detail")],
             "rows": rows or [[str(_("none")), "", "", ""]], "text": True}
    return _page(request, _("Alerts"), tables=[table],
                 note=_("Stuck runs are re-sent, then failed (retryable), by the watchdog every minute; "
                        "a failed run waits for a person to retry it; a missed schedule means celery beat is not running."))


def index(request):
    return reserves(request)


class ReserveBasisPick(forms.Form):
    basis = forms.ChoiceField(choices=[("gross", _("gross")), ("net", _("net of reinsurers' share"))], required=False,
                              label=_("Reserves"))


def reserves(request):
    form = ReserveBasisPick(request.GET or None)
    basis = (form.cleaned_data.get("basis") if form.is_valid() else "") or "gross"
    figs = []
    for currency in selectors.currencies_in_runs():
        quarters, series = selectors.reserves_over_quarters(currency=currency, basis=basis)
        if quarters:
            figs.append(charts.to_html(charts.reserves_over_quarters(series, quarters, currency, net=basis == "net"),
                                       f"reserves-{currency}"))
    return _page(request, _("Reserves by type and segment"), charts_html=figs, filters=form,
                 note=_("Approved runs of the official regime, one bar per quarter end; currencies are never added together."))


def loss_ratios(request):
    run = selectors.latest_approved_by_quarter()
    if not run:
        return _page(request, _("Loss ratios by accident year"))
    run = run[-1]
    data = selectors.loss_ratio_table(run=run)
    figs, tables = [], []
    for currency, (years, ratios) in sorted(data.items()):
        figs.append(charts.to_html(charts.loss_ratios(years, ratios, _("Ultimate loss ratio by accident year, %(currency)s (run %(pk)s, %(valuation_date)s)") % {"currency": currency, "pk": run.pk, "valuation_date": run.valuation_date}), f"lr-{currency}"))
        rows = [[str(y)] + [("" if ratios[s][i] is None else f"{ratios[s][i]:.1%}") for s in sorted(ratios)] for i, y in enumerate(years)]
        tables.append({"title": _("Ultimate / earned premium, %(currency)s") % {"currency": currency}, "headers": [_("accident year"), *sorted(ratios)], "rows": rows})
    return _page(request, _("Loss ratios by accident year"), charts_html=figs, tables=tables,
                 note=_("Ultimate (paid + case + IBNR) of the latest approved run over gross earned premium of the accident year."))


PERIOD_CHOICES = [
    ("quarter", _("calendar quarters")),
    ("year", _("calendar years")),
    ("jalali_quarter", _("Jalali fiscal quarters (from 1 Farvardin)")),
    ("jalali_year", _("Jalali fiscal years (from 1 Farvardin)")),
]
# the months of each Jalali fiscal quarter, beside its label (1403Q1 is Farvardin–Khordad)
JALALI_QUARTER_MONTHS = {1: _("Farvardin–Khordad"), 2: _("Tir–Shahrivar"), 3: _("Mehr–Azar"), 4: _("Dey–Esfand")}


class PeriodPick(forms.Form):
    currency = forms.ChoiceField(choices=(), required=False, label=_("Currency"))
    period = forms.ChoiceField(choices=PERIOD_CHOICES, required=False, label=_("Period"))

    def __init__(self, *args, currencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in currencies]


def _period_label(period) -> str:
    if period.kind == "jalali_quarter":
        return f"{period.label} {JALALI_QUARTER_MONTHS[int(period.label[-1])]}"
    return period.label


def _period_day(day, kind: str) -> str:
    from core.jalali import jalali_text
    from core.money_format import date_text

    return f"{jalali_text(day)} ({date_text(day)})" if kind.startswith("jalali") else date_text(day)


def premium(request):
    """Written premium and claims paid per calendar or Jalali fiscal period, of the book as the
    latest official run saw it (its valuation date and cut-off): Iranian (rial) business is
    reported on the Jalali fiscal year, from 1 Farvardin, and is shown so unless asked otherwise."""
    from core.money_format import JALALI_CURRENCIES, amount_text

    title = _("Premium and claims paid by period")
    runs = selectors.latest_approved_by_quarter()
    currencies = selectors.currencies_in_runs()
    asked = PeriodPick(request.GET or None, currencies=currencies)
    data = asked.cleaned_data if asked.is_valid() else {}
    currency = data.get("currency") or (currencies or [""])[0]
    kind = data.get("period") or ("jalali_quarter" if currency in JALALI_CURRENCIES else "quarter")
    # the picker shows what the page shows, the defaults included (an unknown choice falls back to them)
    form = PeriodPick(initial={"currency": currency, "period": kind}, currencies=currencies)
    if not runs or not currencies:
        return _page(request, title, filters=form)
    run = runs[-1]
    rows = selectors.premium_and_paid_by_period(currency=currency, kind=kind, until=run.valuation_date, cut_off=run.cut_off)
    kind_name = dict(PERIOD_CHOICES)[kind]
    note = _("Gross written premium by accounting date and claims paid less recoveries, %(currency)s, of the book as "
             "run %(run)s saw it (accounting dates to %(valuation_date)s). The Jalali fiscal year starts on 1 Farvardin "
             "(20 or 21 March); its quarters are Farvardin–Khordad, Tir–Shahrivar, Mehr–Azar and Dey–Esfand.") % {
        "currency": currency, "run": run.pk, "valuation_date": _period_day(run.valuation_date, kind)}
    if not rows:
        return _page(request, title, filters=form, note=note)
    labels = [_period_label(r.period) for r in rows]
    fig = charts.premium_and_paid(labels, [float(r.written) for r in rows], [float(r.paid) for r in rows], currency,
                                  _("Written premium and claims paid, %(currency)s, by %(periods)s") % {"currency": currency, "periods": kind_name})
    table_rows = [[label + (" *" if r.partial else ""), _period_day(r.period.start, kind), _period_day(r.period.end, kind),
                   amount_text(r.written, currency), amount_text(r.paid, currency),
                   "—" if r.paid_to_written is None else f"{r.paid_to_written:.1%}"] for label, r in zip(labels, rows)]
    table = {"title": _("Premium and claims paid by %(periods)s, %(currency)s") % {"periods": kind_name, "currency": currency},
             "note": _("* the period runs past the run's valuation date: its figures are to that date.") if rows[-1].partial else "",
             "headers": [_("period"), _("first day"), _("last day"), _("written premium"), _("claims paid"), _("paid / written")],
             "rows": table_rows}
    return _page(request, title, charts_html=[charts.to_html(fig, f"premium-{currency}")], tables=[table], filters=form, note=note)


class SegmentPick(forms.Form):
    run = forms.ModelChoiceField(queryset=ReserveRun.objects.none(), required=False, label=_("Run"))
    segment = forms.ChoiceField(choices=(), required=False, label=_("Segment"))
    triangle = forms.ChoiceField(choices=[("incurred", _("incurred")), ("paid", _("paid")), ("case", _("case outstanding"))], required=False, label=_("Triangle"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["run"].queryset = selectors.approved_runs().order_by("-valuation_date", "-id")
        run = self.fields["run"].queryset.first()
        choices = []
        if run is not None:
            choices = [(f"{r.segment}|{r.currency}", f"{segment_name(r.segment)} {r.currency}") for r in run.segment_results.all()]
        self.fields["segment"].choices = choices


def _picked(request):
    """The picker and what it picked: (form, run, segment, currency, result, triangle kind),
    by default the latest approved run and its first segment. run is None when there is
    nothing to pick; result is None when the run has no result for the segment."""
    form = SegmentPick(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    run = data.get("run") or form.fields["run"].queryset.first()
    segment = data.get("segment") or (form.fields["segment"].choices[0][0] if form.fields["segment"].choices else None)
    kind = data.get("triangle") or "incurred"
    if run is None or segment is None:
        return form, None, None, None, None, kind
    seg, cur = segment.split("|")
    return form, run, seg, cur, run.segment_results.filter(segment=seg, currency=cur).first(), kind


def triangle(request):
    form, run, seg, cur, result, kind = _picked(request)
    if run is None:
        return _page(request, _("Triangle and link ratios"), filters=form)
    frame = selectors.decode_triangle((result.triangles or {}).get(kind)) if result else None
    if frame is None or frame.empty:
        return _page(request, _("Triangle and link ratios"), filters=form, note=_("This segment has no triangle stored."))
    values = frame.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        links = values[:, 1:] / values[:, :-1]
    links[~np.isfinite(links)] = np.nan
    ages = [int(a) for a in frame.columns[:-1]]
    fig = charts.triangle_heatmap(list(frame.index), ages, links, values[:, :-1], _("%(title)s link ratios — %(seg)s %(cur)s, run %(pk)s at %(valuation_date)s") % {"title": kind.title(), "seg": seg, "cur": cur, "pk": run.pk, "valuation_date": run.valuation_date})
    factors = (result.factors or {}) if result else {}
    rows = [[str(k), f"{v:.4f}" if isinstance(v, (int, float)) else str(v)] for k, v in _flat_factors(factors)]
    tables = [{"title": _("Selected development factors"), "headers": [_("age"), _("factor")], "rows": rows}] if rows else []
    return _page(request, _("Triangle and link ratios"), charts_html=[charts.to_html(fig, "triangle")], tables=tables, filters=form)


def _flat_factors(factors) -> list[tuple[str, object]]:
    """(age, LDF) by age from a result's factors, whose "ldf" is {age: LDF} (reserving.compute)."""
    ldf = factors.get("ldf") if isinstance(factors, dict) else None
    if isinstance(ldf, dict):
        return sorted(((str(k), v) for k, v in ldf.items()), key=lambda kv: float(kv[0]) if kv[0].replace(".", "").isdigit() else 0)
    return []


def bootstrap(request):
    form, run, seg, cur, result, _picked_rest = _picked(request)
    if run is None:
        return _page(request, _("Bootstrap IBNR distribution"), filters=form)
    pct = selectors.bootstrap_percentiles(result)
    stored = (result.bootstrap or {}) if result is not None else {}
    if stored.get("status") == "not meaningful":
        reasons = "; ".join(stored.get("reasons") or []) or stored.get("reason", "")
        facts = [[_("mean"), f"{stored.get('mean') or 0:,.0f}"], [_("standard deviation"), f"{stored.get('std') or 0:,.0f}"],
                 [_("coefficient of variation"), "—" if stored.get("cv") is None else f"{stored['cv']:.2f}"],
                 [_("bound on the coefficient of variation"), f"{stored.get('max_cv', 1.0):g}"],
                 [_("1st percentile"), "—" if stored.get("first_percentile") is None
                  else f"{stored['first_percentile']:,.0f}"]]
        return _page(request, _("Bootstrap IBNR distribution"), filters=form,
                     tables=[{"title": _("Why the distribution is not used"), "headers": ["", cur], "rows": facts}],
                     note=_("The bootstrap distribution of this segment is not meaningful (%(reasons)s): no percentile of the booked amount is shown.") % {"reasons": reasons})
    if not pct:
        return _page(request, _("Bootstrap IBNR distribution"), filters=form, note=_("No bootstrap distribution stored for this segment."))
    booked = float(result.ibnr) + float(result.rbns)
    where = selectors.percentile_of(pct, booked)
    fig = charts.bootstrap_distribution(pct, booked, where, _("Bootstrap ODP reserve (paid triangle) — %(seg)s %(cur)s, run %(pk)s") % {"seg": seg, "cur": cur, "pk": run.pk})
    rows = [[f"p{p:g}", f"{v:,.0f}"] for p, v in sorted(pct.items())]
    return _page(request, _("Bootstrap IBNR distribution"), charts_html=[charts.to_html(fig, "bootstrap")], filters=form,
                 tables=[{"title": _("Percentiles of the reserve"), "headers": [_("percentile"), cur], "rows": rows}],
                 note=f"Booked RBNS + IBNR {booked:,.0f} {cur}" + (f" sits at about the {where:.0f}th percentile." if where is not None else "."))


def solvency(request):
    views = selectors.solvency_views()
    figs, tables = [], []
    for currency, view in sorted(views.items()):
        if view["periods"]:
            figs.append(charts.to_html(charts.solvency_ratio(view["periods"], view["ratios"], selectors.internal_buffer(),
                                                             _("Solvency ratio over time, %(currency)s") % {"currency": currency}), f"solvency-{currency}"))
        tables.extend(view["tables"])
    return _page(request, _("Solvency"), charts_html=figs, tables=tables,
                 note=_("Own funds and capital items are entered per quarter under Reporting › Capital entries; reserves come from approved runs."))


def exports(request):
    from reporting.services import FORMATS

    rows = []
    for run in selectors.approved_runs().order_by("-valuation_date", "-id")[:40]:
        links = format_html_join(" · ", '<a href="{}">{}</a>',
                                 ((reverse("reporting:download", args=[run.pk, fmt]), fmt) for fmt in FORMATS))
        label = (_("run %(run)s (superseded by run %(by)s)") % {"run": run.pk, "by": run.superseded_by_id} if run.superseded_by_id
                 else _("run %(run)s") % {"run": run.pk})
        rows.append([label, str(run.valuation_date), run.regime_code, links, _export_start_form(request, run, FORMATS)])
    return _page(request, _("Regulator exports"), tables=[{"title": _("Approved runs"), "headers": [_("run"), _("valuation date"), _("regime"), _("exports"), _("in the background")], "rows": rows, "text": True}],
                 note=_("0420155 is filed with the Bank of Russia as XBRL; the XLSX is the working paper behind it. "
                      "Reports in roubles cover the RUB segments only until exchange rates exist. "
                      "A large book's export may take a while: “Prepare” makes it in the background with its progress shown."))


def _export_start_form(request, run, formats) -> str:
    """A small form: the format and "Prepare" (a POST: it starts work), answered by the job's page."""
    from django.middleware.csrf import get_token

    options = format_html_join("", '<option value="{}">{}</option>', ((fmt, fmt) for fmt in formats))
    return format_html('<form method="post" action="{}" class="export-start"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                       '<select name="format" aria-label="{}">{}</select> <input type="submit" value="{}"></form>',
                       reverse("reporting:export-start", args=[run.pk]), get_token(request), _("format"), options, _("Prepare"))


def export_start(request, run_id: int):
    """Start a report export as a background job and answer with its progress page."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect

    from core.jobs import job_start
    from core.roles import Operation, can
    from reporting.services import FORMATS

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    # Any run: one that is not approved is refused by report_export, and the job page says why.
    run = ReserveRun.objects.filter(pk=run_id).first()
    fmt = request.POST.get("format", "")
    if run is None or fmt not in FORMATS:
        raise Http404(_("no such run or format"))
    if not can(request.user, Operation.REPORT_EXPORT):  # refused now; report_export checks again in the job
        raise DjangoPermissionDenied("regulator exports need the actuary, approver or auditor role")
    job_id = job_start(kind="report_export", owner=request.user, params={"run_id": run.pk, "fmt": fmt},
                       title=_("Export %(format)s of run %(run)s") % {"format": fmt, "run": run.pk})
    return HttpResponseRedirect(reverse("admin:core_job", args=[job_id]))


def report_export_job(*, job, job_id: str, actor, run_id: int, fmt: str) -> dict:
    """core.jobs' "report_export": the same export (and audit record) as the download link, written
    to the job's folder for its page's download button."""
    from core.jobs import job_dir
    from reporting.services import report_export

    from django.utils.translation import get_language

    job.tick(str(_("gathering the run's figures and writing %(format)s") % {"format": fmt}), 0, 2)
    # core.jobs runs the job in the language of the user who started it
    export = report_export(run=ReserveRun.objects.get(pk=run_id), fmt=fmt, actor=actor, language=get_language() or "en")
    folder = job_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / export.filename).write_bytes(export.content)
    job.tick(str(_("written")), 2, 2)
    return {"filename": export.filename, "content_type": export.content_type, "bytes": len(export.content)}


def download(request, run_id: int, fmt: str):
    from django.http import Http404

    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    from core.errors import DomainError, PermissionDenied
    from reporting.services import report_export

    run = ReserveRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404(_("no such run"))
    try:
        export = report_export(run=run, fmt=fmt, actor=request.user, language=request.LANGUAGE_CODE)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    except DomainError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


class RollForwardPick(forms.Form):
    opening = forms.ModelChoiceField(queryset=ReserveRun.objects.none(), required=False, label=_("opening run"))
    closing = forms.ModelChoiceField(queryset=ReserveRun.objects.none(), required=False, label=_("closing run"))
    segment = forms.ChoiceField(choices=(), required=False, label=_("Segment"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        runs = selectors.approved_runs().order_by("-valuation_date", "-id")
        self.fields["opening"].queryset = runs
        self.fields["closing"].queryset = runs
        pairs = sorted({(s, c) for s, c in selectors.RunSegmentResult.objects.filter(run__in=runs).values_list("segment", "currency")})
        self.fields["segment"].choices = [(f"{s}|{c}", f"{segment_name(s)} {c}") for s, c in pairs]


def _rollforward_context(request):
    form = RollForwardPick(request.GET or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {}) or {}
    # by default the latest official run and the official run before it: a rerun's approval
    # supersedes the run it reruns, so two approved runs of one date are never the default pair
    closing = data.get("closing") or selectors.official_runs().order_by("-valuation_date", "-decided_at", "-id").first()
    opening = data.get("opening") or (selectors.official_run_before(closing) if closing is not None else None)
    segment = data.get("segment") or (form.fields["segment"].choices[0][0] if form.fields["segment"].choices else None)
    return form, opening, closing, segment


def rollforward(request):
    from reporting.rollforward import actual_vs_expected, roll_forward

    form, opening, closing, segment = _rollforward_context(request)
    if not (opening and closing and segment) or opening.valuation_date >= closing.valuation_date:
        return _page(request, _("Roll-forward and actual vs expected"), filters=form,
                     note=_("Pick two approved runs, the opening one valued before the closing one."))
    seg, cur = segment.split("|")
    lines = roll_forward(opening=opening, closing=closing, segment=seg, currency=cur)
    steps = [(ln.step, float(ln.amount)) for ln in lines if ln.step != "unexplained"]
    figs = [charts.to_html(charts.roll_forward_waterfall(steps, _("Roll-forward %(segment)s, %(cur)s: %(opening)s → %(closing)s") % {
        "segment": segment_name(seg), "cur": cur, "opening": opening.valuation_date, "closing": closing.valuation_date}), "rollforward")]
    tables = [{"title": _("Roll-forward, %(cur)s") % {"cur": cur}, "headers": [_("step"), _("amount")], "rows": [[ln.step, f"{ln.amount:,.2f}"] for ln in lines]}]
    ave = actual_vs_expected(opening=opening, closing=closing, segment=seg, currency=cur)
    if not ave.empty:
        for measure in ("incurred", "paid"):
            part = ave[ave["measure"] == measure]
            if part.empty:
                continue
            ordered = part.sort_values("origin")
            figs.append(charts.to_html(charts.actual_vs_expected(list(ordered["origin"]), list(ordered["expected"]), list(ordered["actual"]),
                                                                 _("Actual vs expected %(measure)s emergence by accident quarter") % {"measure": measure}), f"ave-{measure}"))
            rows = []
            for r in part.head(10).itertuples(index=False):
                link = reverse("reporting:ave-claims") + "?" + urlencode(
                    {"opening": opening.pk, "closing": closing.pk, "segment": segment, "origin": r.origin})
                rows.append([format_html('<a href="{}">{}</a>', link, r.origin), f"{r.expected:,.0f}", f"{r.actual:,.0f}", f"{r.deviation:,.0f}"])
            tables.append({"title": _("Largest %(measure)s deviations (click an accident quarter for its claims)") % {"measure": measure},
                           "headers": [_("accident quarter"), _("expected"), _("actual"), _("deviation")], "rows": rows})
    return _page(request, _("Roll-forward and actual vs expected"), charts_html=figs, tables=tables, filters=form,
                 note=_("IBNR emergence re-runs the new data with the opening run's method, LDFs, tail and a-priori; then the "
                      "ages the thin-age rule (fewer than 3 link ratios: LDF 1.0) held in the opening run and the new data now "
                      "estimates; then the new data's own re-estimated pattern under the opening run's choices; what remains "
                      "is the effect of changed selections."))


def ave_claims(request):
    from reporting.rollforward import claims_behind

    form, opening, closing, segment = _rollforward_context(request)
    origin = request.GET.get("origin", "")
    if not (opening and closing and segment and origin):
        return _page(request, _("Claims behind a deviation"), filters=form)
    seg, cur = segment.split("|")
    try:
        Quarter.parse(origin)
    except ValueError:
        return _page(request, _("Claims behind a deviation"), filters=form, note=_("not an accident quarter: %(origin)s") % {"origin": origin})
    rows = []
    for c in claims_behind(opening=opening, closing=closing, segment=seg, currency=cur, origin=origin):
        url = reverse("admin:claims_claim_change", args=[c["claim_id"]])
        rows.append([format_html('<a href="{}">{}</a>', url, c["claim_number"]), c["status"], _("yes") if c["litigated"] else _("no"),
                     f"{c['incurred_movement']:,.2f}", f"{c['paid']:,.2f}"])
    return _page(request, _("Claims of %(origin)s behind the deviation") % {"origin": origin}, filters=form,
                 tables=[{"title": _("%(seg)s %(cur)s, accident quarter %(origin)s: largest incurred movements %(valuation_date)s → %(valuation_date2)s") % {"seg": seg, "cur": cur, "origin": origin, "valuation_date": opening.valuation_date, "valuation_date2": closing.valuation_date},
                          "headers": [_("claim"), _("status"), _("litigated"), _("incurred movement"), _("paid in period")], "rows": rows}])
