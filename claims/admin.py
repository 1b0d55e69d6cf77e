"""Admin for claim handlers: report a claim, set reserves, pay, recover, settle, close,
reopen and reverse — each a small page calling claims.services. The claim page shows the
ledger with running outstanding, paid and incurred (claims.selectors) and a totals panel.
The queue of changes above a handler's authority, the authorities and the large losses have
their own lists (D-36)."""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from claims import privacy, selectors, services
from claims.forms import (
    AuthorityForm,
    ClaimMasterForm,
    ClaimReportForm,
    DecideForm,
    PostingForm,
    ReserveForm,
    SettleForm,
    StatusForm,
)
from claims.models import Claim, ClaimTransaction, HandlerAuthority, LargeLoss, PendingClaimChange
from core.admin_mixins import FastListMixin, NoRevertHistoryMixin, ObjectAction, ReadOnlyLedgerMixin, ServiceActionAdminMixin
from core.errors import DomainError
from core.forms import LocalDateField, ReverseForm, form_add_domain_error
from core.jalali import jalali_text
from core.labels import code_shown, segment_name
from core.money_format import date_html, datetime_text, money_html, money_text
from core.roles import Operation, can
from policies.models import Policy


def _amount(value, currency: str) -> str:
    return money_text(value, currency)


# The posting pages (ServiceActionAdminMixin.object_actions): <claim>/reserve/ … named claims_claim_reserve ….
POSTINGS: dict[str, ObjectAction] = {
    "reserve": ObjectAction(ReserveForm, _("Change the case reserve — claim {obj}"), services.claim_reserve_change,
                            _("Reserve change {result.transaction_id}: {result.cost_type} {result.amount:+,.2f}."),
                            _("Post reserve change")),
    "payment": ObjectAction(PostingForm, _("Pay — claim {obj}"), services.claim_payment_post,
                            _("Payment {result.transaction_id}: {result.cost_type} {result.amount:,.2f}."),
                            _("Post payment")),
    "recovery": ObjectAction(PostingForm, _("Recovery — claim {obj}"), services.claim_recovery_post,
                             _("Recovery {result.transaction_id}: {result.cost_type} {result.amount:,.2f}."),
                             _("Post recovery")),
    "close": ObjectAction(StatusForm, _("Close — claim {obj}"), services.claim_close,
                          _("Claim {obj.claim_number} closed; remaining estimate released."), _("Close claim")),
    "reopen": ObjectAction(StatusForm, _("Reopen — claim {obj}"), services.claim_reopen,
                           _("Claim {obj.claim_number} reopened."), _("Reopen claim")),
}


def settlement_share_preview(claim: Claim, loss_amount: Decimal) -> selectors.SettlementFigures:
    """What claim_settle would pay on this loss now (the same rule function and limit state),
    shown before the handler confirms: the share, the indemnity already paid, what is left to pay."""
    return selectors.settlement_share(claim, loss_amount)


class ClaimTransactionInline(ReadOnlyLedgerMixin, admin.TabularInline):
    """The claim ledger with running balances computed in the database (window sums)."""

    model = ClaimTransaction
    fk_name = "claim"
    extra = 0
    can_delete = False
    fields = ("transaction_id", "accounting_shown", "kind", "cost_type", "amount_shown", "running_outstanding",
              "running_paid", "running_incurred", "reverses", "recorded", "recorded_by", "note", "reverse_link")
    readonly_fields = fields
    verbose_name = _("ledger row")
    verbose_name_plural = _("claim ledger (running totals after each row)")

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("claim__policy", "reverses", "recorded_by", "reversed_by")
        return selectors.claim_transactions_with_balances(rows)

    def get_formset(self, request, obj=None, **kwargs):
        # One claim, one currency: the heading names it, the cells show bare amounts.
        if obj is not None:
            self.verbose_name_plural = _("claim ledger in %(currency)s (running totals after each row)") % {
                "currency": obj.policy.currency}
        return super().get_formset(request, obj, **kwargs)

    @staticmethod
    def _money(row, name: str) -> str:
        # Window sums come back unscaled on some databases: money_html rounds to the currency's unit.
        return money_html(getattr(row, name, None), row.claim.policy.currency, code=False)

    @admin.display(description=_("accounting date"))
    def accounting_shown(self, row):
        return date_html(row.accounting_date, row.claim.policy.currency)

    @admin.display(description=_("amount"))
    def amount_shown(self, row):
        return self._money(row, "amount")

    @admin.display(description=_("recorded at"))
    def recorded(self, row):
        return datetime_text(row.recorded_at)

    @admin.display(description=_("outstanding"))
    def running_outstanding(self, row):
        return self._money(row, "running_outstanding")

    @admin.display(description=_("paid"))
    def running_paid(self, row):
        return self._money(row, "running_paid")

    @admin.display(description=_("incurred"))
    def running_incurred(self, row):
        return self._money(row, "running_incurred")

    @admin.display(description="")
    def reverse_link(self, row):
        if hasattr(row, "reversed_by"):
            return _("reversed")
        if row.kind in ("reversal", "close", "reopen") or row.derived:
            return ""
        url = reverse("admin:claims_claim_reverse", args=[row.claim_id, row.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Reverse"))


class PendingClaimChangeInline(ReadOnlyLedgerMixin, admin.TabularInline):
    """Changes of this claim above their requester's authority, and their decisions."""

    model = PendingClaimChange
    fk_name = "claim"
    extra = 0
    can_delete = False
    fields = ("queue_link", "status", "kind", "cost_type", "amount", "accounting_date", "requested_by", "requested_at",
              "decided_by", "decided_at", "posted")
    readonly_fields = fields
    verbose_name = _("change waiting for (or decided on) approval")
    verbose_name_plural = _("changes above the handler's authority")

    @admin.display(description=_("change"))
    def queue_link(self, change):
        return format_html('<a href="{}">#{}</a>', reverse("admin:claims_pendingclaimchange_change", args=[change.pk]),
                           change.pk)


def _pending_message(change: PendingClaimChange) -> str:
    text = (_("Above your reserve authority: change #%(pk)s (%(cost_type)s %(amount)s) waits for approval in the "
              "queue; nothing is posted until it is approved.") if change.kind == "reserve" else
            _("Above your payment authority: change #%(pk)s (%(cost_type)s %(amount)s) waits for approval in the "
              "queue; nothing is posted until it is approved."))
    return text % {"pk": change.pk, "cost_type": change.get_cost_type_display(), "amount": f"{change.amount:+,.2f}"}


class _MaskedHistoryHelper(HistoricalRecordContextHelper):
    """The history list's "Changes" column with patients' data masked."""

    def format_delta_change(self, change):
        if change.field in privacy.PATIENT_DATA_FIELDS:
            change = dataclasses.replace(change, old=privacy.masked(change.old), new=privacy.masked(change.new))
        return super().format_delta_change(change)


class PatientDataAdminMixin:
    """Claims' patients' data (issue 14 §4) in an admin: users who may not see it
    (claims.privacy.can_see_patient_data) get `<field>_masked` columns and read-only fields in
    place of `claimant` and `cause` (list, change page, history versions and the history list's
    changes), and cannot search by them (a match would tell the name)."""

    def _sees(self, request) -> bool:
        return privacy.can_see_patient_data(request.user)

    def _swap(self, request, names) -> list:
        if self._sees(request):
            return list(names)
        return list(dict.fromkeys(f"{n}_masked" if n in privacy.PATIENT_DATA_FIELDS else n for n in names))

    def get_list_display(self, request):
        return self._swap(request, super().get_list_display(request))

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if self._sees(request):
            return fields
        return [f for f in fields if f.lstrip("^=@").split("__")[-1] not in privacy.PATIENT_DATA_FIELDS]

    def get_fields(self, request, obj=None):
        return self._swap(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if self._sees(request):
            return readonly
        return readonly + [f"{n}_masked" for n in privacy.PATIENT_DATA_FIELDS]

    def get_historical_record_context_helper(self, request, historical_record):
        if self._sees(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedHistoryHelper(self.model, historical_record)

    @staticmethod
    def _masked(claim, name: str):
        value = privacy.masked(getattr(claim, name))
        if not value or not getattr(claim, "pk", None):
            return value
        return format_html('{} <a href="{}">show (auditor, recorded in the audit trail)</a>', value,
                           reverse("admin:claims_claim_reveal", args=[claim.pk]))

    @admin.display(description=_("claimant"))
    def claimant_masked(self, claim):
        return self._masked(claim, "claimant")

    @admin.display(description=_("cause"))
    def cause_masked(self, claim):
        return self._masked(claim, "cause")


class ClaimReportAdminForm(ClaimReportForm):
    """The report form with the policy looked up as the handler types (the admin's autocomplete
    on the policy list's search: number or insured's name); the dates also as Jalali dates."""

    policy = forms.ModelChoiceField(
        queryset=Policy.objects.all(), label=_("Policy"),
        widget=AutocompleteSelect(Claim._meta.get_field("policy"), admin.site),
        help_text=_("type the policy number or the insured's name"))
    occurrence_date = LocalDateField(help_text=_("when the harm happened"), label=_("Occurrence date"))
    report_date = LocalDateField(help_text=_("when the insurer learnt of the claim"), label=_("Report date"))
    field_order = ["policy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["policy_number"]

    def clean(self):
        data = super().clean()
        if data.get("policy") is not None:
            data["policy_number"] = data["policy"].policy_number  # what ClaimReportForm hands on
        return data

    def service_kwargs(self) -> dict:
        kwargs = super().service_kwargs()
        kwargs.pop("policy")
        return kwargs


class RevealForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text=_("why you need this claim's patients' data (recorded in the "
                                                       "audit trail; do not write the patient's name)"), label=_("Reason"))


class AnonymiseForm(forms.Form):
    reason = forms.CharField(max_length=300, required=False,
                             help_text=_("e.g. the erasure request it answers (recorded in the audit trail)"), label=_("Reason"))


class PolicyClaimsFormSet(forms.BaseInlineFormSet):
    def totals(self) -> dict[str, Decimal]:
        """The policy's claims summed (one policy, one currency), for the inline's last row."""
        rows = [form.instance for form in self.forms]
        return {name: sum((getattr(r, name) or Decimal(0) for r in rows), Decimal(0))
                for name in ("outstanding", "paid", "incurred")}


class PolicyClaimsInline(ReadOnlyLedgerMixin, admin.TabularInline):
    """The policy's claims with their outstanding, paid and incurred and their totals, on the
    policy page. Claims sit above policies in the layers (pyproject [tool.importlinter]), so this
    app adds the inline to PolicyAdmin, below."""

    model = Claim
    fk_name = "policy"
    formset = PolicyClaimsFormSet
    template = "admin/claims/policy_claims_inline.html"
    extra = 0
    can_delete = False
    fields = ("claim_number", "report_date", "status")
    readonly_fields = fields
    verbose_name_plural = _("claims on this policy")

    def get_queryset(self, request):
        return selectors.claims_with_totals(super().get_queryset(request)).select_related("policy")


def _policy_admin_with_claims() -> None:
    policy_admin = admin.site._registry.get(Policy)
    if policy_admin is not None and PolicyClaimsInline not in policy_admin.inlines:
        policy_admin.inlines = [*policy_admin.inlines, PolicyClaimsInline]


@admin.register(Claim)
class ClaimAdmin(FastListMixin, PatientDataAdminMixin, ServiceActionAdminMixin, NoRevertHistoryMixin, SimpleHistoryAdmin):
    # What a handler reads at 1366 px: the status and the money, each amount with its currency
    # (the list mixes RUB and IRR claims); occurrence date and litigation are filters and on the page.
    list_display = ("claim_number", "policy", "insured_name", "claimant", "report_shown", "status",
                    "outstanding_total", "paid_total", "incurred_total")
    list_filter = (("policy__segment", admin.AllValuesFieldListFilter), "status", "litigated",
                   ("policy__currency", admin.AllValuesFieldListFilter), "report_date", "occurrence_date")
    search_fields = ("claim_number", "policy__policy_number", "policy__insured__name", "claimant")
    list_select_related = ("policy", "policy__insured")
    date_hierarchy = "report_date"
    # 50 rows: two screens at 1366×768, and half the server time of Django's 100 (issue 16 §3).
    list_per_page = 50
    inlines = [ClaimTransactionInline, PendingClaimChangeInline]
    readonly_fields = ("dates_jalali", "created_at", "anonymised_at")
    fields = ("claim_number", "policy", "status", "occurrence_date", "report_date", "dates_jalali", "claimant", "cause",
              "litigated", "awarded_diyeh_share", "created_at", "anonymised_at")
    object_actions = POSTINGS
    object_action_perm = "claims.add_claimtransaction"
    object_arg = "claim"

    @admin.display(description=_("occurrence / report (Jalali)"))
    def dates_jalali(self, claim):
        # Iranian policies are read in the Jalali calendar.
        if claim.policy.currency != "IRR":
            return "—"
        return f"{jalali_text(claim.occurrence_date)} / {jalali_text(claim.report_date)}"

    def get_queryset(self, request):
        return selectors.claims_with_totals(super().get_queryset(request))

    @admin.display(description=_("insured"), ordering="policy__insured__name")
    def insured_name(self, claim):
        return claim.policy.insured.name

    @admin.display(description=_("report date"), ordering="report_date")
    def report_shown(self, claim):
        return date_html(claim.report_date, claim.policy.currency)

    @admin.display(description=_("outstanding"), ordering="outstanding")
    def outstanding_total(self, claim):
        return money_html(claim.outstanding, claim.policy.currency)

    @admin.display(description=_("paid"), ordering="paid")
    def paid_total(self, claim):
        return money_html(claim.paid, claim.policy.currency)

    @admin.display(description=_("incurred"), ordering="incurred")
    def incurred_total(self, claim):
        return money_html(claim.incurred, claim.policy.currency)

    # The standard change form would save the model directly: master-data edits
    # (claim_update_master) and ledger postings have their own pages below, each calling a service.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return request.user.has_perm("claims.add_claim")

    def get_urls(self):
        def own(route, view, name):
            return path(route, self.admin_site.admin_view(view), name=f"claims_claim_{name}")

        return self.object_action_urls() + [
            own("<int:pk>/settle/", self.settle_view, "settle"),
            own("<int:pk>/reverse/<int:row_pk>/", self.reverse_view, "reverse"),
            own("<int:pk>/edit/", self.edit_view, "edit"),
            own("<int:pk>/patient-data/", self.reveal_view, "reveal"),
            own("<int:pk>/anonymise/", self.anonymise_view, "anonymise"),
        ] + super().get_urls()

    # --- figures shown with the claim and on each posting page ------------------------------
    def claim_figures(self, claim: Claim) -> list[tuple[str, str]]:
        currency = claim.policy.currency
        totals = selectors.claim_ledger_totals(claim)
        usage = selectors.policy_limit_usage(claim.policy)
        return [
            (_("outstanding indemnity"), _amount(totals.outstanding["indemnity"], currency)),
            (_("outstanding expense"), _amount(totals.outstanding["expense"], currency)),
            (_("paid indemnity"), _amount(totals.paid["indemnity"], currency)),
            (_("paid expense"), _amount(totals.paid["expense"], currency)),
            (_("incurred"), _amount(totals.incurred, currency)),
            (_("limit per claim"), _amount(claim.policy.limit_per_claim, currency)),
            (_("aggregate limit"), _amount(claim.policy.aggregate_limit, currency)),
            (_("limit used by this claim"), _amount(usage.per_claim_used.get(claim.claim_number, Decimal(0)), currency)),
            (_("limit used by the policy"), _amount(usage.aggregate_used, currency)),
            (_("limit remaining for this claim"), _amount(usage.remaining_for(claim.claim_number), currency)
             if usage.limit_per_claim is not None or usage.aggregate_limit is not None else _("unlimited")),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        claim = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if claim is not None:
            extra_context.update(
                claim_figures=self.claim_figures(claim),
                can_post=request.user.has_perm("claims.add_claimtransaction"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def action_object(self, pk) -> Claim:
        return get_object_or_404(Claim.objects.select_related("policy", "policy__insured"), pk=pk)

    def action_view(self, request, *, done, **kwargs):
        """A reserve change or payment above the handler's authority comes back as a pending
        change: say so, and return to the claim."""
        def done_or_pending(result):
            if isinstance(result, PendingClaimChange):
                return _pending_message(result), self.change_url(result.claim)
            return done(result)

        return super().action_view(request, done=None if done is None else done_or_pending, **kwargs)

    def action_context(self, claim: Claim) -> dict:
        return {"summary": self.claim_figures(claim), "summary_title": _("Claim now")}

    # --- pages ---------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        self.perm_require(request, "claims.add_claim")
        form = self.bound(request, ClaimReportAdminForm)

        def report(data):
            return services.claim_report(policy=data["policy"], actor=request.user, **form.service_kwargs())

        return self.action_view(
            request, form=form, title=_("Report a claim"), call=report,
            done=lambda claim: (_("Claim %(claim_number)s reported on policy %(policy_number)s.") % {"claim_number": claim.claim_number, "policy_number": claim.policy.policy_number},
                                self.change_url(claim)),
            submit_label=_("Report claim"),
        )

    def settle_view(self, request, pk):
        """Two steps: "Show the insurer's share" computes it without writing; "Settle and close"
        calls claim_settle."""
        self.perm_require(request, "claims.add_claimtransaction")
        claim = self.action_object(pk)
        form = self.bound(request, SettleForm)
        context = {**self.action_context(claim), "extra_buttons": [("_preview", _("Show the insurer's share"))]}
        if request.method == "POST" and "_preview" in request.POST:
            if form.is_valid():
                try:
                    figures = settlement_share_preview(claim, form.cleaned_data["loss_amount"])
                except DomainError as exc:
                    form_add_domain_error(form, exc)
                else:
                    currency = claim.policy.currency
                    context.update(preview_title=_("Settlement preview (nothing posted yet)"), preview=[
                        (_("loss"), _amount(form.cleaned_data["loss_amount"], currency)),
                        (_("deductible amount"), _amount(claim.policy.deductible_amount, currency)),
                        (_("deductible percent"), "—" if claim.policy.deductible_percent is None
                         else f"{claim.policy.deductible_percent}%"),
                        (_("insurer's share of the loss"), _amount(figures.share, currency)),
                        (_("indemnity already paid"), _amount(figures.paid_before, currency)),
                        (_("to pay now"), _amount(figures.to_pay, currency)),
                    ])
            # A preview never writes (call=None): the form comes back with its input.
            return self.action_view(request, form=form, obj=claim, title=_("Settle claim %(claim)s") % {"claim": claim}, call=None,
                                    done=None, submit_label=_("Settle and close"), context=context)
        return self.action_view(
            request, form=form, obj=claim, title=_("Settle claim %(claim)s") % {"claim": claim},
            call=lambda data: services.claim_settle(claim=claim, actor=request.user, **data),
            done=lambda s: (_("Claim %(claim_number)s settled: paid the insurer's share %(share)s less %(paid_before)s already paid: %(to_pay)s; closed.") % {"claim_number": claim.claim_number, "share": _amount(s.share, claim.policy.currency), "paid_before": _amount(s.paid_before, claim.policy.currency), "to_pay": _amount(s.to_pay, claim.policy.currency)}, self.change_url(claim)),
            submit_label=_("Settle and close"), context=context,
        )

    def edit_view(self, request, pk):
        self.perm_require(request, "claims.change_claim")
        claim = self.action_object(pk)
        form = self.bound(request, ClaimMasterForm, claim=claim)
        return self.action_view(
            request, form=form, obj=claim, title=_("Edit master data of claim %(claim)s") % {"claim": claim},
            call=lambda data: services.claim_update_master(claim=claim, actor=request.user, **form.changes(claim)),
            done=lambda c: (_("Claim %(claim_number)s updated.") % {"claim_number": c.claim_number}, self.change_url(c)),
        )

    def reveal_view(self, request, pk):
        """The auditor's request for one claim's patients' data (Operation.CLAIM_REVEAL): shown on
        this page once, after an audit row records who asked and why; never kept in a message."""
        self.perm_require(request, "claims.view_claim")
        claim = self.action_object(pk)
        form = self.bound(request, RevealForm)
        title = _("Patients' data of claim %(claim)s") % {"claim": claim}
        context = {}
        if request.method == "POST" and form.is_valid():
            try:
                data = privacy.claim_patient_data_reveal(claim=claim, actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                context = {"preview_title": _("Recorded in the audit trail"), "preview": list(data.items())}
        return self.action_view(request, form=form, obj=claim, title=title, call=None, done=None,
                                submit_label=_("Show (recorded in the audit trail)"), context=context)

    def anonymise_view(self, request, pk):
        """Erase the claimant's name and the cause of a closed claim now (an erasure request; the
        retention does it by itself: anonymise_claims). Superusers and the system actor only."""
        self.perm_require(request, "claims.view_claim")
        claim = self.action_object(pk)
        return self.action_view(
            request, form=self.bound(request, AnonymiseForm), obj=claim, title=_("Anonymise claim %(claim)s") % {"claim": claim},
            call=lambda data: privacy.claim_anonymise(claim=claim, actor=request.user, **data),
            done=lambda c: (_("Claim %(claim_number)s anonymised: claimant and cause erased, history rows included.") % {"claim_number": c.claim_number},
                            self.change_url(c)),
            submit_label=_("Anonymise (cannot be undone)"),
        )

    def reverse_view(self, request, pk, row_pk):
        self.perm_require(request, "claims.add_claimtransaction")
        row = get_object_or_404(ClaimTransaction.objects.select_related("claim", "claim__policy"), pk=row_pk, claim_id=pk)
        claim = row.claim
        form = self.bound(request, ReverseForm)
        return self.action_view(
            request, form=form, obj=claim, title=_("Reverse row %(transaction_id)s") % {"transaction_id": row.transaction_id},
            call=lambda data: services.claim_transaction_reverse(transaction=row, actor=request.user, **data),
            done=lambda new: (_("Row %(transaction_id)s reversed by %(transaction_id2)s.") % {"transaction_id": row.transaction_id, "transaction_id2": new.transaction_id}, self.change_url(claim)),
            submit_label=_("Post reversal"),
            context={"row": row, **self.action_context(claim)},
        )


@admin.register(ClaimTransaction)
class ClaimTransactionAdmin(FastListMixin, ReadOnlyLedgerMixin, admin.ModelAdmin):
    """The claim ledger for auditors: read-only, filterable."""

    list_display = ("transaction_id", "claim", "kind", "effect_kind", "cost_type", "amount_shown", "accounting_date",
                    "recorded_at", "recorded_by", "reverses", "derived")
    list_filter = ("kind", "effect_kind", "cost_type", "derived", "accounting_date",
                   ("claim__policy__segment", admin.AllValuesFieldListFilter))
    search_fields = ("transaction_id", "claim__claim_number", "claim__policy__policy_number")
    list_select_related = ("claim__policy", "recorded_by", "reverses")
    date_hierarchy = "accounting_date"
    # 50 rows, as the policy and claim lists: a ledger page of 100 took 260–290 ms on the demo (issue 16 §3).
    list_per_page = 50

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, row):
        return money_html(row.amount, row.claim.policy.currency)



class PendingStatusFilter(admin.SimpleListFilter):
    """The queue opens on the changes still waiting."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*PendingClaimChange.Status.choices, ("all", _("all"))]

    def choices(self, changelist):
        value = self.value() or PendingClaimChange.Status.PENDING
        for lookup, title in self.lookup_choices:
            yield {"selected": value == lookup, "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                   "display": title}

    def queryset(self, request, queryset):
        # An action (a POST) acts on what was selected, not on the default view.
        value = self.value() or ("all" if request.method == "POST" else PendingClaimChange.Status.PENDING)
        return queryset if value == "all" else queryset.filter(status=value)


@admin.register(PendingClaimChange)
class PendingClaimChangeAdmin(ServiceActionAdminMixin, ReadOnlyLedgerMixin, admin.ModelAdmin):
    """The approval queue: reserve changes and payments above their requester's authority.
    Approve or reject one (its decision page) or several (the list's actions); each decision
    goes through claims.services.claim_change_decide."""

    list_display = ("id", "claim_link", "kind", "cost_type", "amount_shown", "authority_shown",
                    "accounting_date", "requested_by", "requested_at", "status", "decided_by", "decided_at", "posted")
    list_filter = (PendingStatusFilter, "kind", "cost_type", ("claim__policy__currency", admin.AllValuesFieldListFilter))
    search_fields = ("claim__claim_number", "claim__policy__policy_number", "requested_by__username", "note")
    list_select_related = ("claim", "claim__policy", "requested_by", "decided_by", "posted")
    readonly_fields = ("claim", "kind", "cost_type", "amount", "new_estimate", "authority_amount", "accounting_date",
                       "note", "status", "requested_by", "requested_at", "decided_by", "decided_at", "decision_note",
                       "posted")
    actions = ["approve_selected", "reject_selected"]
    object_actions = {"decide": ObjectAction(
        DecideForm, _("Decide on change #{obj.pk} — claim {obj.claim}"), services.claim_change_decide,
        _("Change #{obj.pk} {result.status}."), _("Record the decision"))}
    object_action_perm = "claims.view_pendingclaimchange"
    object_arg = "pending"
    change_form_template = "admin/claims/pendingclaimchange/change_form.html"

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or can(request.user, Operation.CLAIM_CHANGE_DECIDE)

    def has_decide_permission(self, request):
        return can(request.user, Operation.CLAIM_CHANGE_DECIDE)

    def perm_require(self, request, perm: str) -> None:
        if not (self.has_view_permission(request) and self.has_decide_permission(request)):
            raise PermissionDenied

    def get_urls(self):
        return self.object_action_urls() + super().get_urls()

    @admin.display(description=_("claim"), ordering="claim__claim_number")
    def claim_link(self, change):
        return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[change.claim_id]),
                           change.claim.claim_number)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_shown(self, change):
        return money_html(change.amount, change.claim.policy.currency)

    @admin.display(description=_("authority amount"), ordering="authority_amount")
    def authority_shown(self, change):
        return money_html(change.authority_amount, change.claim.policy.currency)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        extra_context["can_decide"] = bool(change is not None and change.status == PendingClaimChange.Status.PENDING
                                           and self.has_decide_permission(request))
        return super().change_view(request, object_id, form_url, extra_context)

    def _decide(self, request, queryset, approve: bool):
        done, refused = 0, []
        for change in queryset.order_by("requested_at", "id"):  # a decided one is refused by the service, said so
            try:
                services.claim_change_decide(pending=change, approve=approve, actor=request.user)
            except DomainError as exc:
                refused.append(f"#{change.pk}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, (_("%(done)s change(s) approved.") if approve else _("%(done)s change(s) rejected.")) % {"done": done}, messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Approve the selected changes (post them now)"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._decide(request, queryset, True)

    @admin.action(description=_("Reject the selected changes"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._decide(request, queryset, False)


@admin.register(HandlerAuthority)
class HandlerAuthorityAdmin(ServiceActionAdminMixin, NoRevertHistoryMixin, SimpleHistoryAdmin):
    """Each handler's reserve and payment authority per currency, set through
    claims.services.handler_authority_set (approvers and superusers; nobody their own)."""

    list_display = ("user", "currency", "reserve_limit", "payment_limit", "updated_at")
    list_filter = ("currency",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user",)
    readonly_fields = ("user", "currency", "reserve_limit", "payment_limit", "updated_at")

    def has_view_permission(self, request, obj=None):
        return (super().has_view_permission(request, obj) or can(request.user, Operation.AUTHORITY_SET)
                or can(request.user, Operation.CLAIM_CHANGE_DECIDE))

    def has_add_permission(self, request):
        return can(request.user, Operation.AUTHORITY_SET)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.bound(request, AuthorityForm)

        def set_authority(data):
            user = get_user_model().objects.filter(username=data["username"].strip()).first()
            if user is None:
                raise DomainError(_("no user named %(username)s") % {"username": repr(data['username'])}, field="username")
            return services.handler_authority_set(
                user=user, currency=data["currency"], reserve_limit=data["reserve_limit"],
                payment_limit=data["payment_limit"], actor=request.user)

        return self.action_view(
            request, form=form, title=_("Set a handler's authority"), call=set_authority,
            done=lambda row: (_("Authority set: %(row)s.") % {"row": row}, self.changelist_url()), submit_label=_("Set authority"),
        )


@admin.register(LargeLoss)
class LargeLossAdmin(PatientDataAdminMixin, ReadOnlyLedgerMixin, admin.ModelAdmin):
    """Claims whose incurred reached the large-loss threshold of their currency
    (settings.LARGE_LOSS_THRESHOLDS), largest first: the actuary's list."""

    list_display = ("claim_link", "policy_number", "segment", "status", "report_date", "incurred_shown",
                    "threshold_shown", "paid_shown", "outstanding_shown")
    list_filter = (("policy__currency", admin.AllValuesFieldListFilter), ("policy__segment", admin.AllValuesFieldListFilter),
                   "status", "litigated")
    search_fields = ("claim_number", "policy__policy_number", "policy__insured__name", "claimant")
    list_display_links = None

    def get_queryset(self, request):
        # Not super(): its ordering names the annotation before it exists.
        return selectors.large_losses(queryset=LargeLoss.objects.select_related("policy", "policy__insured"))

    def get_ordering(self, request):
        return ["-incurred", "claim_number"]

    def get_object(self, request, object_id, from_field=None):
        # A claim's own page (and its history) opens whether or not it is a large loss today.
        claims = selectors.claims_with_totals(LargeLoss.objects.select_related("policy", "policy__insured"))
        return claims.filter(pk=object_id).first() if str(object_id).isdigit() else None

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or request.user.has_perm("claims.view_claim")

    @admin.display(description=_("claim"), ordering="claim_number")
    def claim_link(self, claim):
        return format_html('<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[claim.pk]),
                           claim.claim_number)

    @admin.display(description=_("policy"), ordering="policy__policy_number")
    def policy_number(self, claim):
        return claim.policy.policy_number

    @admin.display(description=_("segment"), ordering="policy__segment")
    def segment(self, claim):
        return code_shown(claim.policy.segment, segment_name)

    @admin.display(description=_("incurred"), ordering="incurred")
    def incurred_shown(self, claim):
        return money_html(claim.incurred, claim.policy.currency)

    @admin.display(description=_("threshold"))
    def threshold_shown(self, claim):
        return money_html(claim.threshold, claim.policy.currency)

    @admin.display(description=_("paid"), ordering="paid")
    def paid_shown(self, claim):
        return money_html(claim.paid, claim.policy.currency)

    @admin.display(description=_("outstanding"), ordering="outstanding")
    def outstanding_shown(self, claim):
        return money_html(claim.outstanding, claim.policy.currency)


_policy_admin_with_claims()
