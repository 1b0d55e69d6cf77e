"""Admin of the tariff app: tariff versions with their rate tables inline, the Quote page
(price with every step, then "Issue policy from this quote"), the indicated-rates page, and
diyeh amounts with the revaluation action. Pages call selectors and services only."""
from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.forms import LocalDateField, form_add_domain_error
from core.labels import profession_name
from core.money import MINOR_UNITS
from core.money_format import amount_text, money_text
from core.jalali import jalali_text
from tariff import selectors, services
from tariff.forms import IndicatedForm, IssueForm, QuoteForm
from tariff.labels import steps_shown
from tariff.models import (
    DiyehAmount, TariffBaseRate, TariffCoverShare, TariffGroupDiscountBand, TariffNoClaimsDiscount,
    TariffProfession, TariffReferralRule, TariffSettingModifier, TariffVersion,
)


_AMOUNT = re.compile(r"-?\d{4,}(\.\d+)?")


def _steps_with_amounts(steps: list[tuple[str, str]], currency: str) -> list[tuple[str, str]]:
    """A step whose value is an amount (the engine writes "4400000000") shown grouped, in the
    currency's unit; rates and multipliers ("1.2", "0.75") as written."""
    return [(name, amount_text(value, currency) if _AMOUNT.fullmatch(str(value)) else value) for name, value in steps]


def _year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _inline(model) -> type[admin.TabularInline]:
    """A version's rate table, edited inline on the version page."""
    return type(f"{model.__name__}Inline", (admin.TabularInline,), {"model": model, "extra": 0})


class TariffVersionForm(forms.ModelForm):
    class Meta:
        model = TariffVersion
        fields = "__all__"

    def clean(self):
        data = super().clean()
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", _("the version cannot end before it starts"))
        return data


class AdminQuoteForm(QuoteForm):
    """The quote form with lists instead of typed codes: the professions the tariffs know (by their
    names), the book's currencies; the quote date also as a Jalali date."""

    currency = forms.ChoiceField(choices=[(c, c) for c in MINOR_UNITS], initial="IRR", label=_("Currency"))
    quote_date = LocalDateField(required=False, help_text=_("selects the tariff in force (default: today)"),
                                label=_("Quote date"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profession"] = forms.ChoiceField(
            choices=[("", "—")] + [(c, profession_name(c)) for c in selectors.tariff_profession_codes()],
            label=_("Profession"))


class AdminIssueForm(IssueForm):
    """Issue dates also typed as Jalali dates (an Iranian policy's own calendar)."""

    inception_date = LocalDateField(label=_("Inception date"))
    expiry_date = LocalDateField(label=_("Expiry date"))
    issue_date = LocalDateField(label=_("Issue date"))
    retro_date = LocalDateField(required=False, label=_("Retro date"))


class CopyForm(forms.Form):
    code = forms.CharField(max_length=64, label=_("Code"))
    name = forms.CharField(max_length=200, required=False, label=_("Name"))
    effective_from = forms.DateField(help_text=_("the source version ends the day before"), label=_("Effective from"))


@admin.register(TariffVersion)
class TariffVersionAdmin(admin.ModelAdmin):
    form = TariffVersionForm
    list_display = ("code", "name", "effective_from", "effective_from_jalali", "effective_to", "vat_rate", "copy_link")
    search_fields = ("code", "name")
    inlines = [_inline(m) for m in (TariffProfession, TariffBaseRate, TariffSettingModifier, TariffCoverShare,
                                    TariffNoClaimsDiscount, TariffGroupDiscountBand, TariffReferralRule)]

    def save_model(self, request, obj, form, change):
        # through the service: the role check and the audit row, whatever the admin allowed
        services.tariff_version_save(version=obj, actor=request.user, changed=list(form.changed_data) or ["created"],
                                     save=lambda: super(TariffVersionAdmin, self).save_model(request, obj, form, change))

    def save_formset(self, request, form, formset, change):
        if not formset.has_changed():
            return super().save_formset(request, form, formset, change)
        table = formset.model._meta.verbose_name_plural
        services.tariff_version_save(version=form.instance, actor=request.user, changed=[str(table)],
                                     save=lambda: super(TariffVersionAdmin, self).save_formset(request, form, formset, change))

    @admin.display(description=_("from (Jalali)"))
    def effective_from_jalali(self, obj):
        return jalali_text(obj.effective_from)

    @admin.display(description=_("new version"))
    def copy_link(self, obj):
        return format_html('<a href="{}">copy as new version</a>', reverse("admin:tariff_copy", args=[obj.pk]))

    def copy_view(self, request, pk: int):
        if not self.has_add_permission(request):
            raise PermissionDenied
        source = TariffVersion.objects.get(pk=pk)
        form = CopyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                copy = services.tariff_version_copy(source=source, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, _("%(code)s created from %(code2)s; edit its rates below.") % {"code": copy.code, "code2": source.code})
                return redirect(reverse("admin:tariff_tariffversion_change", args=[copy.pk]))
        context = self._context(request, _("Copy %(code)s as a new version") % {"code": source.code}, form=form, source=source)
        return TemplateResponse(request, "admin/tariff/copy.html", context)

    def get_urls(self):
        extra = [
            path("quote/", self.admin_site.admin_view(self.quote_view), name="tariff_quote"),
            path("indicated/", self.admin_site.admin_view(self.indicated_view), name="tariff_indicated"),
            path("<int:pk>/copy/", self.admin_site.admin_view(self.copy_view), name="tariff_copy"),
        ]
        return extra + super().get_urls()

    def _context(self, request, title, **kwargs):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **kwargs}

    def quote_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        quote, quote_date, issue_form, policy = None, None, None, None
        form = AdminQuoteForm(request.POST or None, initial={"quote_date": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            quote_date = form.cleaned_data["quote_date"] or timezone.localdate()
            try:
                request_data = form.quote_request()
                quote = selectors.quote_price(
                    request=request_data, on=quote_date, tariff_code=form.cleaned_data["tariff_version"] or None
                )
            except DomainError as exc:
                form_add_domain_error(form, exc)
            if quote is not None:
                issue_form = AdminIssueForm(
                    request.POST if "issue" in request.POST else None,
                    initial={"inception_date": quote_date, "issue_date": timezone.localdate(),
                             "expiry_date": _year_later(quote_date) - timedelta(days=1),
                             "cover_in_diyeh": quote.currency == "IRR"},
                )
                if "issue" in request.POST:
                    policy = self._issue(request, form, request_data, quote_date, issue_form)
                    if policy is not None:
                        return redirect(reverse("admin:policies_policy_change", args=[policy.pk]))
        context = self._context(
            request, _("Quote"), form=form, quote=quote, issue_form=issue_form,
            quote_steps=_steps_with_amounts(steps_shown(quote.steps), quote.currency) if quote is not None else [],
            quote_date_jalali=jalali_text(quote_date) if quote and quote.currency == "IRR" else "",
            quote_money={name: money_text(getattr(quote, name), quote.currency) for name in ("premium", "vat", "total")}
            if quote is not None else {},
            can_issue=request.user.has_perm("policies.add_policy"),
        )
        return TemplateResponse(request, "admin/tariff/quote.html", context)

    def _issue(self, request, form, request_data, quote_date, issue_form):
        if not request.user.has_perm("policies.add_policy"):
            raise PermissionDenied
        if not issue_form.is_valid():
            return None
        data = issue_form.cleaned_data
        try:
            policy = services.policy_issue_from_quote(
                request=request_data, quote_date=quote_date, tariff_code=form.cleaned_data["tariff_version"] or None,
                actor=request.user, **data,
            )
        except DomainError as exc:
            form_add_domain_error(issue_form, exc)
            return None
        messages.success(request, _("Policy %(policy_number)s issued from the quote (%(tariff_version)s).") % {"policy_number": policy.policy_number, "tariff_version": policy.tariff_version})
        return policy

    def indicated_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = IndicatedForm(request.GET or None)
        rows = None
        if request.GET and form.is_valid():
            d = form.cleaned_data
            try:
                rows = selectors.indicated_rates(
                    period_start=d["period_start"], period_end=d["period_end"], on=timezone.localdate(),
                    currency=d["currency"].upper(), gamma=d["gamma"], loading_share=float(d["loading_share"]),
                    use_claim_sd=d["use_claim_sd"],
                )
            except (DomainError, ValueError) as exc:
                form.add_error(None, getattr(exc, "message", str(exc)))
        context = self._context(request, _("Indicated rates from experience"), form=form, rows=rows)
        return TemplateResponse(request, "admin/tariff/indicated.html", context)


class DiyehAmountForm(forms.ModelForm):
    class Meta:
        model = DiyehAmount
        fields = ["jalali_year", "amount", "note"]


@admin.register(DiyehAmount)
class DiyehAmountAdmin(admin.ModelAdmin):
    form = DiyehAmountForm
    list_display = ("jalali_year", "year_starts", "amount_rials", "amount_toman", "note", "preview_link")
    actions = ["revalue_open_claims"]

    def get_urls(self):
        extra = [path("<int:jalali_year>/revaluation/", self.admin_site.admin_view(self.revaluation_view),
                      name="tariff_diyeh_revaluation")]
        return extra + super().get_urls()

    @admin.display(description=_("open claims"))
    def preview_link(self, obj):
        url = reverse("admin:tariff_diyeh_revaluation", args=[obj.jalali_year])
        return format_html('<a href="{}">revaluation preview</a>', url)

    def revaluation_view(self, request, jalali_year: int):
        """The open claims on indexed cover, their estimate now and under this year's diyeh,
        dates in the Jalali calendar; a POST books the revaluation."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        if request.method == "POST":
            if not self.has_add_permission(request):
                raise PermissionDenied
            self.revalue_open_claims(request, DiyehAmount.objects.filter(jalali_year=jalali_year))
            return redirect(request.path)
        try:
            lines = selectors.diyeh_revaluation_plan(jalali_year=jalali_year, accounting_date=today)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("admin:tariff_diyehamount_changelist"))
        rows = [
            {"line": line, "policy": line.claim.policy, "jalali": {
                name: jalali_text(getattr(obj, name))
                for obj, name in ((line.claim.policy, "inception_date"), (line.claim.policy, "expiry_date"),
                                  (line.claim, "occurrence_date"), (line.claim, "report_date"))}}
            for line in lines
        ]
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Diyeh %(jalali_year)s: revaluation of open claims") % {"jalali_year": jalali_year}, "rows": rows, "jalali_year": jalali_year,
            "today": today, "today_jalali": jalali_text(today),
            "can_revalue": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/tariff/diyeh_revaluation.html", context)

    @admin.display(description=_("1 Farvardin (Gregorian)"))
    def year_starts(self, obj):
        import jdatetime

        return jdatetime.date(obj.jalali_year, 1, 1).togregorian().isoformat()

    @admin.display(description=_("amount (rials)"))
    def amount_rials(self, obj):
        return f"{obj.amount:,.0f}"

    @admin.display(description=_("toman"))
    def amount_toman(self, obj):
        return f"{obj.amount / 10:,.0f}"

    def has_change_permission(self, request, obj=None):
        # An official amount is not edited after the fact: its reserve changes are booked.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        row = services.diyeh_year_add(
            jalali_year=obj.jalali_year, amount=obj.amount, note=obj.note, actor=request.user
        )
        obj.pk = row.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(request.path)

    @admin.action(description=_("Revalue open claims on diyeh cover (accounted today)"))
    def revalue_open_claims(self, request, queryset):
        today = timezone.localdate()
        for row in queryset.order_by("jalali_year"):
            try:
                result = services.diyeh_revalue_open_claims(
                    jalali_year=row.jalali_year, accounting_date=today, actor=request.user
                )
            except DomainError as exc:
                messages.error(request, f"{row.jalali_year}: {exc.message}")
                continue
            changed = ", ".join(f"{c['claim']} {c['old_estimate']} → {c['new_estimate']}" for c in result.changes)
            messages.success(
                request,
                _("Diyeh %(jalali_year)s, accounted %(jalali_text)s (%(isoformat)s): %(changes)s claim(s) revalued%(v9)s; %(skipped)s skipped.") % {"jalali_year": row.jalali_year, "jalali_text": jalali_text(today), "isoformat": today.isoformat(), "changes": len(result.changes), "v9": ': ' + changed if changed else '', "skipped": len(result.skipped)},
            )
