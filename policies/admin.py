"""Admin for finance staff: insureds, policies with their premium ledger and history, and the
endorse / cancel / reverse operations. Every write goes through policies.services; ledger
rows are never edited here, and a service's refusal re-displays the form with the input kept."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import FastListMixin, NoRevertHistoryMixin, ObjectAction, ReadOnlyLedgerMixin, ServiceActionAdminMixin
from core.forms import ReverseForm
from core.jalali import jalali_text
from core import labels
from core.labels import code_shown, segment_name
from core.money import MINOR_UNITS
from core.money_format import date_html, datetime_text, money_html
from policies import selectors, services
from policies.forms import CancelForm, EndorseForm, InsuredCreateForm, PolicyCreateForm, PolicyMasterForm
from policies.models import Insured, Policy, PremiumTransaction


@admin.register(Insured)
class InsuredAdmin(ServiceActionAdminMixin, NoRevertHistoryMixin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "national_id")
    list_filter = ("kind",)
    search_fields = ("name", "national_id")

    # No service edits an insured in place yet; new ones come through insured_create.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        self.perm_require(request, "policies.add_insured")
        form = self.bound(request, InsuredCreateForm)
        return self.action_view(
            request, form=form, title=_("Add an insured"),
            call=lambda data: services.insured_create(actor=request.user, **data),
            done=lambda insured: (_("Insured %(name)s added.") % {"name": insured.name}, self.change_url(insured)),
        )


class PremiumTransactionInline(ReadOnlyLedgerMixin, admin.TabularInline):
    model = PremiumTransaction
    fk_name = "policy"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ("transaction_id", "kind", "accounting_shown", "effective_shown", "gross_shown", "running_gross_shown",
              "commission_shown", "reverses", "recorded", "recorded_by", "note", "reverse_link")
    readonly_fields = fields
    ordering = ("accounting_date", "id")
    verbose_name_plural = _("premium ledger (written premium after each row)")

    def get_formset(self, request, obj=None, **kwargs):
        # One policy, one currency: the heading names it, the cells show bare amounts.
        if obj is not None:
            self.verbose_name_plural = _("premium ledger in %(currency)s (written premium after each row)") % {
                "currency": obj.currency}
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("policy", "reverses", "recorded_by", "reversed_by")
        return selectors.premium_transactions_with_running_total(rows)

    @admin.display(description=_("accounting date"))
    def accounting_shown(self, row):
        return date_html(row.accounting_date, row.policy.currency)

    @admin.display(description=_("effective date"))
    def effective_shown(self, row):
        return date_html(row.effective_date, row.policy.currency)

    @admin.display(description=_("gross premium"))
    def gross_shown(self, row):
        return money_html(row.gross_premium, row.policy.currency, code=False)

    @admin.display(description=_("written premium"))
    def running_gross_shown(self, row):
        return money_html(getattr(row, "running_gross", None), row.policy.currency, code=False)

    @admin.display(description=_("commission"))
    def commission_shown(self, row):
        return money_html(row.commission, row.policy.currency, code=False)

    @admin.display(description=_("recorded at"))
    def recorded(self, row):
        return datetime_text(row.recorded_at)

    @admin.display(description="")
    def reverse_link(self, row):
        if row.kind == PremiumTransaction.Kind.REVERSAL or hasattr(row, "reversed_by"):
            return _("reversed") if hasattr(row, "reversed_by") else ""
        url = reverse("admin:policies_policy_reverse", args=[row.policy_id, row.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Reverse"))


class PolicyStatusFilter(admin.SimpleListFilter):
    """In force / expired / cancelled, as shown: computed from the dates (no stored "expired")."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Policy.DisplayStatus.choices

    def queryset(self, request, queryset):
        if self.value() in Policy.DisplayStatus.values:
            return selectors.policy_filter_display_status(queryset, self.value())
        return queryset


# The premium postings (ServiceActionAdminMixin.object_actions): <policy>/endorse/, <policy>/cancel/.
PREMIUM_POSTINGS: dict[str, ObjectAction] = {
    "endorse": ObjectAction(EndorseForm, _("Endorse {obj}"), services.policy_endorse,
                            _("Endorsement {result.transaction_id} booked: {result.gross_premium} {obj.currency}."),
                            _("Book endorsement")),
    "cancel": ObjectAction(CancelForm, _("Cancel {obj}"), services.policy_cancel,
                           _("Policy {obj.policy_number} cancelled; return premium "
                             "{result.gross_premium} {obj.currency} ({result.transaction_id})."),
                           _("Cancel policy")),
}


def _with_choices(form, policy: Policy | None = None):
    """Profession, segment and currency chosen from lists by their names (issue 16 §5), not typed
    as codes; a policy's own value stays selectable when it is not (or no longer) in the list."""
    from django import forms

    from segments.models import Segment

    def choice_field(name: str, options: list[tuple[str, str]], invalid: str | None = None):
        old = form.fields[name]
        current = getattr(policy, name, None) if policy is not None else None
        if current and current not in {code for code, _label in options}:
            options = [(current, current), *options]
        form.fields[name] = forms.ChoiceField(choices=[("", "---------"), *options], label=old.label,
                                              required=old.required, initial=old.initial,
                                              error_messages={"invalid_choice": invalid} if invalid else None)

    choice_field("profession", sorted(labels.choices(labels.PROFESSIONS), key=lambda c: str(c[1])))
    choice_field("segment", [(code, segment_name(code)) for code in Segment.objects.order_by("code").values_list("code", flat=True)])
    choice_field("currency", [(code, code) for code in MINOR_UNITS],
                 _("unknown currency %(value)s; known: %(known)s") % {"value": "%(value)s", "known": ", ".join(sorted(MINOR_UNITS))})
    return form


@admin.register(Policy)
class PolicyAdmin(FastListMixin, ServiceActionAdminMixin, NoRevertHistoryMixin, SimpleHistoryAdmin):
    # What a clerk reads at 1366 px: basis and currency are in the segment and beside the premium
    # (and both are filters); IRR dates carry their Jalali date below.
    list_display = ("policy_number", "insured", "segment_shown", "inception_shown", "expiry_shown", "status_shown",
                    "written_premium")
    list_filter = ("segment", "basis", "currency", PolicyStatusFilter, "risk_group", "inception_date", "expiry_date")
    search_fields = ("policy_number", "insured__name")
    list_select_related = ("insured",)
    date_hierarchy = "inception_date"
    # 50 rows: two screens at 1366×768, and half the server time of Django's 100 (issue 16 §3).
    list_per_page = 50
    inlines = [PremiumTransactionInline]
    object_actions = PREMIUM_POSTINGS
    object_action_perm = "policies.add_premiumtransaction"
    object_arg = "policy"
    readonly_fields = ("written_premium", "cover_jalali", "status_shown", "limit_per_claim_shown", "aggregate_limit_shown",
                       "deductible_amount_shown")
    fieldsets = (
        (None, {"fields": ("policy_number", "insured", "status_shown", "cancelled_on", "written_premium")}),
        (_("Cover"), {"fields": ("profession", "risk_group", "segment", "basis", "retro_date", "currency",
                              "inception_date", "expiry_date", "issue_date", "cover_jalali")}),
        (_("Limits and deductible"), {"fields": ("limit_per_claim_shown", "aggregate_limit_shown", "deductible_amount_shown",
                                              "deductible_percent", "expenses_within_limits")}),
        (_("Tariff and diyeh"), {"classes": ("collapse",), "fields": (
            "tariff_version", "rating_steps", "cover_in_diyeh", "diyeh_year", "diyeh_increase_endorsement")}),
    )


    @admin.display(description=_("segment"), ordering="segment")
    def segment_shown(self, policy):
        return code_shown(policy.segment, segment_name)
    def get_queryset(self, request):
        # a subquery, not a join: the filters and the date hierarchy run on this queryset too
        rows = selectors.policy_with_written_premium(super().get_queryset(request))
        return selectors.policy_with_display_status(rows)

    @admin.display(description=_("status"), ordering="display_status")
    def status_shown(self, policy):
        value = getattr(policy, "display_status", None) or policy.status_on(timezone.localdate())
        return Policy.DisplayStatus(value).label

    @admin.display(description=_("cover (Jalali)"))
    def cover_jalali(self, policy):
        # Iranian policies are read in the Jalali calendar.
        if policy.currency != "IRR":
            return "—"
        return f"{jalali_text(policy.inception_date)} – {jalali_text(policy.expiry_date)}"

    @admin.display(description=_("written premium"), ordering="written_gross")
    def written_premium(self, policy):
        value = getattr(policy, "written_gross", None)
        if value is None:
            value = policy.premium_transactions.aggregate(s=Sum("gross_premium"))["s"]
        return money_html(value, policy.currency)

    @admin.display(description=_("inception date"), ordering="inception_date")
    def inception_shown(self, policy):
        return date_html(policy.inception_date, policy.currency)

    @admin.display(description=_("expiry date"), ordering="expiry_date")
    def expiry_shown(self, policy):
        return date_html(policy.expiry_date, policy.currency)

    @admin.display(description=_("limit per claim"))
    def limit_per_claim_shown(self, policy):
        return money_html(policy.limit_per_claim, policy.currency)

    @admin.display(description=_("aggregate limit"))
    def aggregate_limit_shown(self, policy):
        return money_html(policy.aggregate_limit, policy.currency)

    @admin.display(description=_("deductible amount"))
    def deductible_amount_shown(self, policy):
        return money_html(policy.deductible_amount, policy.currency)

    # The standard change form would save the model directly; master-data edits and premium
    # postings have their own pages below, each calling a service.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return request.user.has_perm("policies.add_policy")

    def get_urls(self):
        own = [
            path("<int:pk>/edit/", self.admin_site.admin_view(self.edit_view), name="policies_policy_edit"),
            path("<int:pk>/reverse/<int:row_pk>/", self.admin_site.admin_view(self.reverse_view),
                 name="policies_policy_reverse"),
        ]
        return self.object_action_urls() + own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_post": request.user.has_perm("policies.add_premiumtransaction"),
                         "can_edit": request.user.has_perm("policies.change_policy")}
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        self.perm_require(request, "policies.add_policy")
        form = _with_choices(self.bound(request, PolicyCreateForm))
        return self.action_view(
            request, form=form, title=_("Issue a policy"),
            call=lambda data: services.policy_create(actor=request.user, **data),
            done=lambda policy: (_("Policy %(policy_number)s issued with its original premium.") % {"policy_number": policy.policy_number},
                                 self.change_url(policy)),
            submit_label=_("Issue policy"),
        )

    def edit_view(self, request, pk):
        self.perm_require(request, "policies.change_policy")
        policy = get_object_or_404(Policy, pk=pk)
        form = _with_choices(self.bound(request, PolicyMasterForm, policy=policy), policy)
        return self.action_view(
            request, form=form, obj=policy, title=_("Edit master data of %(policy)s") % {"policy": policy},
            call=lambda data: services.policy_update_master(policy=policy, actor=request.user,
                                                            **form.changes(policy)),
            done=lambda p: (_("Policy %(policy_number)s updated.") % {"policy_number": p.policy_number}, self.change_url(p)),
        )

    def reverse_view(self, request, pk, row_pk):
        self.perm_require(request, "policies.add_premiumtransaction")
        row = get_object_or_404(PremiumTransaction.objects.select_related("policy"), pk=row_pk, policy_id=pk)
        form = self.bound(request, ReverseForm)
        return self.action_view(
            request, form=form, obj=row.policy, title=_("Reverse premium row %(transaction_id)s") % {"transaction_id": row.transaction_id},
            call=lambda data: services.premium_transaction_reverse(transaction=row, actor=request.user, **data),
            done=lambda new: (_("Row %(transaction_id)s reversed by %(transaction_id2)s.") % {"transaction_id": row.transaction_id, "transaction_id2": new.transaction_id},
                              self.change_url(row.policy)),
            submit_label=_("Post reversal"),
            context={"row": row},
        )


@admin.register(PremiumTransaction)
class PremiumTransactionAdmin(FastListMixin, ReadOnlyLedgerMixin, admin.ModelAdmin):
    """The premium ledger for auditors: read-only, filterable."""

    list_display = ("transaction_id", "policy", "kind", "effect_kind", "accounting_date", "effective_date",
                    "gross_shown", "commission_shown", "recorded_at", "recorded_by", "reverses")
    list_filter = ("kind", "effect_kind", "accounting_date", "policy__segment", "policy__currency")
    search_fields = ("transaction_id", "policy__policy_number", "policy__insured__name")
    list_select_related = ("policy", "recorded_by", "reverses")
    date_hierarchy = "accounting_date"
    # 50 rows, as the policy and claim lists: a ledger page of 100 took 260–290 ms on the demo (issue 16 §3).
    list_per_page = 50

    @admin.display(description=_("gross premium"), ordering="gross_premium")
    def gross_shown(self, row):
        return money_html(row.gross_premium, row.policy.currency)

    @admin.display(description=_("commission"), ordering="commission")
    def commission_shown(self, row):
        return money_html(row.commission, row.policy.currency)
