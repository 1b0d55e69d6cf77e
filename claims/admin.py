"""Admin for claim handlers: report a claim, set reserves, pay, recover, settle, close,
reopen and reverse — each a small page calling claims.services. The claim page shows the
ledger with running outstanding, paid and incurred (claims.selectors) and a totals panel."""
from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from claims import selectors, services
from claims.forms import ClaimMasterForm, ClaimReportForm, PostingForm, ReserveForm, SettleForm, StatusForm
from claims.models import Claim, ClaimTransaction
from core.admin_mixins import NoRevertHistoryMixin, ObjectAction, ReadOnlyLedgerMixin, ServiceActionAdminMixin
from core.errors import DomainError
from core.forms import ReverseForm, form_add_domain_error
from core.jalali import jalali_text
from core.money import money_round
from policies.models import Policy


def _amount(value, currency: str) -> str:
    return "—" if value is None else f"{money_round(value, currency):,.2f} {currency}"


# The posting pages (ServiceActionAdminMixin.object_actions): <claim>/reserve/ … named claims_claim_reserve ….
POSTINGS: dict[str, ObjectAction] = {
    "reserve": ObjectAction(ReserveForm, "Change the case reserve — claim {obj}", services.claim_reserve_change,
                            "Reserve change {result.transaction_id}: {result.cost_type} {result.amount:+,.2f}.",
                            "Post reserve change"),
    "payment": ObjectAction(PostingForm, "Pay — claim {obj}", services.claim_payment_post,
                            "Payment {result.transaction_id}: {result.cost_type} {result.amount:,.2f}.",
                            "Post payment"),
    "recovery": ObjectAction(PostingForm, "Recovery — claim {obj}", services.claim_recovery_post,
                             "Recovery {result.transaction_id}: {result.cost_type} {result.amount:,.2f}.",
                             "Post recovery"),
    "close": ObjectAction(StatusForm, "Close — claim {obj}", services.claim_close,
                          "Claim {obj.claim_number} closed; remaining estimate released.", "Close claim"),
    "reopen": ObjectAction(StatusForm, "Reopen — claim {obj}", services.claim_reopen,
                           "Claim {obj.claim_number} reopened.", "Reopen claim"),
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
    fields = ("transaction_id", "accounting_date", "kind", "cost_type", "amount_shown", "running_outstanding",
              "running_paid", "running_incurred", "reverses", "recorded", "recorded_by", "note", "reverse_link")
    readonly_fields = fields
    verbose_name = "ledger row"
    verbose_name_plural = "claim ledger (running totals after each row)"

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("claim__policy", "reverses", "recorded_by", "reversed_by")
        return selectors.claim_transactions_with_balances(rows)

    @staticmethod
    def _money(row, name: str) -> str:
        # Window sums come back unscaled on some databases: show them in the currency's unit.
        value = getattr(row, name, None)
        return "—" if value is None else f"{money_round(value, row.claim.policy.currency):,}"

    @admin.display(description="amount")
    def amount_shown(self, row):
        return self._money(row, "amount")

    @admin.display(description="recorded at")
    def recorded(self, row):
        return f"{timezone.localtime(row.recorded_at):%Y-%m-%d %H:%M}"

    @admin.display(description="outstanding")
    def running_outstanding(self, row):
        return self._money(row, "running_outstanding")

    @admin.display(description="paid")
    def running_paid(self, row):
        return self._money(row, "running_paid")

    @admin.display(description="incurred")
    def running_incurred(self, row):
        return self._money(row, "running_incurred")

    @admin.display(description="")
    def reverse_link(self, row):
        if hasattr(row, "reversed_by"):
            return "reversed"
        if row.kind in ("reversal", "close", "reopen") or row.derived:
            return ""
        url = reverse("admin:claims_claim_reverse", args=[row.claim_id, row.pk])
        return format_html('<a class="button" href="{}">Reverse</a>', url)


@admin.register(Claim)
class ClaimAdmin(ServiceActionAdminMixin, NoRevertHistoryMixin, SimpleHistoryAdmin):
    list_display = ("claim_number", "policy", "insured_name", "claimant", "occurrence_date", "report_date",
                    "status", "litigated", "outstanding_total", "paid_total", "incurred_total")
    list_filter = (("policy__segment", admin.AllValuesFieldListFilter), "status", "litigated",
                   ("policy__currency", admin.AllValuesFieldListFilter), "report_date", "occurrence_date")
    search_fields = ("claim_number", "policy__policy_number", "policy__insured__name", "claimant")
    list_select_related = ("policy", "policy__insured")
    date_hierarchy = "report_date"
    inlines = [ClaimTransactionInline]
    readonly_fields = ("dates_jalali",)
    fields = ("claim_number", "policy", "status", "occurrence_date", "report_date", "dates_jalali", "claimant", "cause",
              "litigated", "awarded_diyeh_share", "created_at")
    object_actions = POSTINGS
    object_action_perm = "claims.add_claimtransaction"
    object_arg = "claim"

    @admin.display(description="occurrence / report (Jalali)")
    def dates_jalali(self, claim):
        # Iranian policies are read in the Jalali calendar.
        if claim.policy.currency != "IRR":
            return "—"
        return f"{jalali_text(claim.occurrence_date)} / {jalali_text(claim.report_date)}"

    def get_queryset(self, request):
        return selectors.claims_with_totals(super().get_queryset(request))

    @admin.display(description="insured", ordering="policy__insured__name")
    def insured_name(self, claim):
        return claim.policy.insured.name

    @admin.display(description="outstanding", ordering="outstanding")
    def outstanding_total(self, claim):
        return money_round(claim.outstanding, claim.policy.currency)

    @admin.display(description="paid", ordering="paid")
    def paid_total(self, claim):
        return money_round(claim.paid, claim.policy.currency)

    @admin.display(description="incurred", ordering="incurred")
    def incurred_total(self, claim):
        return money_round(claim.incurred, claim.policy.currency)

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
        ] + super().get_urls()

    # --- figures shown with the claim and on each posting page ------------------------------
    def claim_figures(self, claim: Claim) -> list[tuple[str, str]]:
        currency = claim.policy.currency
        totals = selectors.claim_ledger_totals(claim)
        usage = selectors.policy_limit_usage(claim.policy)
        return [
            ("outstanding indemnity", _amount(totals.outstanding["indemnity"], currency)),
            ("outstanding expense", _amount(totals.outstanding["expense"], currency)),
            ("paid indemnity", _amount(totals.paid["indemnity"], currency)),
            ("paid expense", _amount(totals.paid["expense"], currency)),
            ("incurred", _amount(totals.incurred, currency)),
            ("limit per claim", _amount(claim.policy.limit_per_claim, currency)),
            ("aggregate limit", _amount(claim.policy.aggregate_limit, currency)),
            ("limit used by this claim", _amount(usage.per_claim_used.get(claim.claim_number, Decimal(0)), currency)),
            ("limit used by the policy", _amount(usage.aggregate_used, currency)),
            ("limit remaining for this claim", _amount(usage.remaining_for(claim.claim_number), currency)
             if usage.limit_per_claim is not None or usage.aggregate_limit is not None else "unlimited"),
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

    def action_context(self, claim: Claim) -> dict:
        return {"summary": self.claim_figures(claim), "summary_title": "Claim now"}

    # --- pages ---------------------------------------------------------------------------
    def add_view(self, request, form_url="", extra_context=None):
        self.perm_require(request, "claims.add_claim")
        form = self.bound(request, ClaimReportForm)

        def report(data):
            policy = Policy.objects.filter(policy_number=data["policy_number"].strip()).first()
            if policy is None:
                raise DomainError(f"no policy numbered {data['policy_number']!r}", field="policy_number")
            return services.claim_report(policy=policy, actor=request.user, **form.service_kwargs())

        return self.action_view(
            request, form=form, title="Report a claim", call=report,
            done=lambda claim: (f"Claim {claim.claim_number} reported on policy {claim.policy.policy_number}.",
                                self.change_url(claim)),
            submit_label="Report claim",
        )

    def settle_view(self, request, pk):
        """Two steps: "Show the insurer's share" computes it without writing; "Settle and close"
        calls claim_settle."""
        self.perm_require(request, "claims.add_claimtransaction")
        claim = self.action_object(pk)
        form = self.bound(request, SettleForm)
        context = {**self.action_context(claim), "extra_buttons": [("_preview", "Show the insurer's share")]}
        if request.method == "POST" and "_preview" in request.POST:
            if form.is_valid():
                try:
                    figures = settlement_share_preview(claim, form.cleaned_data["loss_amount"])
                except DomainError as exc:
                    form_add_domain_error(form, exc)
                else:
                    currency = claim.policy.currency
                    context.update(preview_title="Settlement preview (nothing posted yet)", preview=[
                        ("loss", _amount(form.cleaned_data["loss_amount"], currency)),
                        ("deductible amount", _amount(claim.policy.deductible_amount, currency)),
                        ("deductible percent", "—" if claim.policy.deductible_percent is None
                         else f"{claim.policy.deductible_percent}%"),
                        ("insurer's share of the loss", _amount(figures.share, currency)),
                        ("indemnity already paid", _amount(figures.paid_before, currency)),
                        ("to pay now", _amount(figures.to_pay, currency)),
                    ])
            # A preview never writes (call=None): the form comes back with its input.
            return self.action_view(request, form=form, obj=claim, title=f"Settle claim {claim}", call=None,
                                    done=None, submit_label="Settle and close", context=context)
        return self.action_view(
            request, form=form, obj=claim, title=f"Settle claim {claim}",
            call=lambda data: services.claim_settle(claim=claim, actor=request.user, **data),
            done=lambda s: (f"Claim {claim.claim_number} settled: paid the insurer's share "
                            f"{_amount(s.share, claim.policy.currency)} less "
                            f"{_amount(s.paid_before, claim.policy.currency)} already paid: "
                            f"{_amount(s.to_pay, claim.policy.currency)}; closed.", self.change_url(claim)),
            submit_label="Settle and close", context=context,
        )

    def edit_view(self, request, pk):
        self.perm_require(request, "claims.change_claim")
        claim = self.action_object(pk)
        form = self.bound(request, ClaimMasterForm, claim=claim)
        return self.action_view(
            request, form=form, obj=claim, title=f"Edit master data of claim {claim}",
            call=lambda data: services.claim_update_master(claim=claim, actor=request.user, **form.changes(claim)),
            done=lambda c: (f"Claim {c.claim_number} updated.", self.change_url(c)),
        )

    def reverse_view(self, request, pk, row_pk):
        self.perm_require(request, "claims.add_claimtransaction")
        row = get_object_or_404(ClaimTransaction.objects.select_related("claim", "claim__policy"), pk=row_pk, claim_id=pk)
        claim = row.claim
        form = self.bound(request, ReverseForm)
        return self.action_view(
            request, form=form, obj=claim, title=f"Reverse row {row.transaction_id}",
            call=lambda data: services.claim_transaction_reverse(transaction=row, actor=request.user, **data),
            done=lambda new: (f"Row {row.transaction_id} reversed by {new.transaction_id}.", self.change_url(claim)),
            submit_label="Post reversal",
            context={"row": row, **self.action_context(claim)},
        )


@admin.register(ClaimTransaction)
class ClaimTransactionAdmin(ReadOnlyLedgerMixin, admin.ModelAdmin):
    """The claim ledger for auditors: read-only, filterable."""

    list_display = ("transaction_id", "claim", "kind", "effect_kind", "cost_type", "amount", "accounting_date",
                    "recorded_at", "recorded_by", "reverses", "derived")
    list_filter = ("kind", "effect_kind", "cost_type", "derived", "accounting_date",
                   ("claim__policy__segment", admin.AllValuesFieldListFilter))
    search_fields = ("transaction_id", "claim__claim_number", "claim__policy__policy_number")
    list_select_related = ("claim", "recorded_by", "reverses")
    date_hierarchy = "accounting_date"
