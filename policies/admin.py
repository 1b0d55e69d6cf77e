"""Admin for finance staff: insureds, policies with their premium ledger and history, and the
endorse / cancel / reverse operations. Every write goes through policies.services; ledger
rows are never edited here, and a service's refusal re-displays the form with the input kept."""
from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.errors import DomainError
from policies import selectors, services
from policies.forms import (
    CancelForm,
    EndorseForm,
    InsuredCreateForm,
    PolicyCreateForm,
    PolicyMasterForm,
    ReverseForm,
    form_add_domain_error,
)
from policies.models import Insured, Policy, PremiumTransaction


class ServiceActionAdminMixin:
    """Custom admin pages that run one service with a small form: a refusal becomes a form
    error and the form comes back with what the user typed."""

    action_template = "admin/medmal/action_form.html"

    def perm_require(self, request, perm: str) -> None:
        if not request.user.has_perm(perm):
            raise PermissionDenied

    def action_view(self, request, *, form, title, call, done, obj=None, submit_label="Save",
                    context=None, back_url=None):
        """`call(cleaned_data)` runs the service; `done(result)` says what happened and where to go.
        With call=None the page only shows the form (e.g. after a preview)."""
        if call is not None and request.method == "POST" and form.is_bound and form.is_valid():
            try:
                result = call(form.cleaned_data)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                message, url = done(result)
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(url)
        opts = self.model._meta
        ctx = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "original": obj,
            "title": title,
            "form": form,
            "submit_label": submit_label,
            "media": self.media + form.media,
            "back_url": back_url or (self.change_url(obj) if obj is not None else self.changelist_url()),
            **(context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_template, ctx)

    def change_url(self, obj) -> str:
        opts = obj._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")

    @staticmethod
    def bound(request, form_class, **kwargs):
        return form_class(request.POST if request.method == "POST" else None, **kwargs)


class ReadOnlyLedgerMixin:
    """Append-only ledgers: viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoRevertHistoryMixin:
    """History is for reading: reverting a version would bypass the services."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


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
            request, form=form, title="Add an insured",
            call=lambda data: services.insured_create(actor=request.user, **data),
            done=lambda insured: (f"Insured {insured.name} added.", self.change_url(insured)),
        )


class PremiumTransactionInline(ReadOnlyLedgerMixin, admin.TabularInline):
    model = PremiumTransaction
    fk_name = "policy"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ("transaction_id", "kind", "accounting_date", "effective_date", "gross_premium", "commission",
              "reverses", "recorded_at", "recorded_by", "note", "reverse_link")
    readonly_fields = fields
    ordering = ("accounting_date", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reverses", "recorded_by", "reversed_by")

    @admin.display(description="")
    def reverse_link(self, row):
        if row.kind == PremiumTransaction.Kind.REVERSAL or hasattr(row, "reversed_by"):
            return "reversed" if hasattr(row, "reversed_by") else ""
        url = reverse("admin:policies_policy_reverse", args=[row.policy_id, row.pk])
        return format_html('<a class="button" href="{}">Reverse</a>', url)


class PolicyStatusFilter(admin.SimpleListFilter):
    """In force / expired / cancelled, as shown: computed from the dates (no stored "expired")."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Policy.DisplayStatus.choices

    def queryset(self, request, queryset):
        if self.value() in Policy.DisplayStatus.values:
            return selectors.policy_filter_display_status(queryset, self.value())
        return queryset


@admin.register(Policy)
class PolicyAdmin(ServiceActionAdminMixin, NoRevertHistoryMixin, SimpleHistoryAdmin):
    list_display = ("policy_number", "insured", "segment", "basis", "currency", "inception_date", "expiry_date",
                    "status_shown", "written_premium")
    list_filter = ("segment", "basis", "currency", PolicyStatusFilter, "risk_group", "inception_date", "expiry_date")
    search_fields = ("policy_number", "insured__name")
    list_select_related = ("insured",)
    date_hierarchy = "inception_date"
    inlines = [PremiumTransactionInline]
    readonly_fields = ("written_premium", "cover_jalali", "status_shown")
    fieldsets = (
        (None, {"fields": ("policy_number", "insured", "status_shown", "cancelled_on", "written_premium")}),
        ("Cover", {"fields": ("profession", "risk_group", "segment", "basis", "retro_date", "currency",
                              "inception_date", "expiry_date", "issue_date", "cover_jalali")}),
        ("Limits and deductible", {"fields": ("limit_per_claim", "aggregate_limit", "deductible_amount",
                                              "deductible_percent", "expenses_within_limits")}),
        ("Tariff and diyeh", {"classes": ("collapse",), "fields": (
            "tariff_version", "rating_steps", "cover_in_diyeh", "diyeh_year", "diyeh_increase_endorsement")}),
    )

    def get_queryset(self, request):
        return selectors.policy_with_display_status(selectors.policy_with_premium(super().get_queryset(request)))

    @admin.display(description="status", ordering="display_status")
    def status_shown(self, policy):
        value = getattr(policy, "display_status", None) or policy.status_on(timezone.localdate())
        return Policy.DisplayStatus(value).label

    @admin.display(description="cover (Jalali)")
    def cover_jalali(self, policy):
        # Iranian policies are read in the Jalali calendar.
        from tariff.selectors import jalali_text

        if policy.currency != "IRR":
            return "—"
        return f"{jalali_text(policy.inception_date)} – {jalali_text(policy.expiry_date)}"

    @admin.display(description="written premium", ordering="written_gross")
    def written_premium(self, policy):
        value = getattr(policy, "written_gross", None)
        if value is None:
            value = policy.premium_transactions.aggregate(s=Sum("gross_premium"))["s"]
        return f"{value:,.2f} {policy.currency}" if value is not None else "—"

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
            path("<int:pk>/endorse/", self.admin_site.admin_view(self.endorse_view), name="policies_policy_endorse"),
            path("<int:pk>/cancel/", self.admin_site.admin_view(self.cancel_view), name="policies_policy_cancel"),
            path("<int:pk>/reverse/<int:row_pk>/", self.admin_site.admin_view(self.reverse_view),
                 name="policies_policy_reverse"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_post": request.user.has_perm("policies.add_premiumtransaction"),
                         "can_edit": request.user.has_perm("policies.change_policy")}
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        self.perm_require(request, "policies.add_policy")
        form = self.bound(request, PolicyCreateForm)
        return self.action_view(
            request, form=form, title="Issue a policy",
            call=lambda data: services.policy_create(actor=request.user, **data),
            done=lambda policy: (f"Policy {policy.policy_number} issued with its original premium.",
                                 self.change_url(policy)),
            submit_label="Issue policy",
        )

    def edit_view(self, request, pk):
        self.perm_require(request, "policies.change_policy")
        policy = get_object_or_404(Policy, pk=pk)
        form = self.bound(request, PolicyMasterForm, policy=policy)
        return self.action_view(
            request, form=form, obj=policy, title=f"Edit master data of {policy}",
            call=lambda data: services.policy_update_master(policy=policy, actor=request.user,
                                                            **form.changes(policy)),
            done=lambda p: (f"Policy {p.policy_number} updated.", self.change_url(p)),
        )

    def endorse_view(self, request, pk):
        self.perm_require(request, "policies.add_premiumtransaction")
        policy = get_object_or_404(Policy, pk=pk)
        form = self.bound(request, EndorseForm)
        return self.action_view(
            request, form=form, obj=policy, title=f"Endorse {policy}",
            call=lambda data: services.policy_endorse(policy=policy, actor=request.user, **data),
            done=lambda row: (f"Endorsement {row.transaction_id} booked: {row.gross_premium} {policy.currency}.",
                              self.change_url(policy)),
            submit_label="Book endorsement",
        )

    def cancel_view(self, request, pk):
        self.perm_require(request, "policies.add_premiumtransaction")
        policy = get_object_or_404(Policy, pk=pk)
        form = self.bound(request, CancelForm)
        return self.action_view(
            request, form=form, obj=policy, title=f"Cancel {policy}",
            call=lambda data: services.policy_cancel(policy=policy, actor=request.user, **data),
            done=lambda row: (f"Policy {policy.policy_number} cancelled; return premium "
                              f"{row.gross_premium} {policy.currency} ({row.transaction_id}).",
                              self.change_url(policy)),
            submit_label="Cancel policy",
        )

    def reverse_view(self, request, pk, row_pk):
        self.perm_require(request, "policies.add_premiumtransaction")
        row = get_object_or_404(PremiumTransaction.objects.select_related("policy"), pk=row_pk, policy_id=pk)
        form = self.bound(request, ReverseForm)
        return self.action_view(
            request, form=form, obj=row.policy, title=f"Reverse premium row {row.transaction_id}",
            call=lambda data: services.premium_transaction_reverse(transaction=row, actor=request.user, **data),
            done=lambda new: (f"Row {row.transaction_id} reversed by {new.transaction_id}.",
                              self.change_url(row.policy)),
            submit_label="Post reversal",
            context={"row": row},
        )


@admin.register(PremiumTransaction)
class PremiumTransactionAdmin(ReadOnlyLedgerMixin, admin.ModelAdmin):
    """The premium ledger for auditors: read-only, filterable."""

    list_display = ("transaction_id", "policy", "kind", "effect_kind", "accounting_date", "effective_date",
                    "gross_premium", "commission", "recorded_at", "recorded_by", "reverses")
    list_filter = ("kind", "effect_kind", "accounting_date", "policy__segment", "policy__currency")
    search_fields = ("transaction_id", "policy__policy_number", "policy__insured__name")
    list_select_related = ("policy", "recorded_by", "reverses")
    date_hierarchy = "accounting_date"
