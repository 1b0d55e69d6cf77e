"""API shapes of claims and the claim ledger. Input serializers only type the input; every
business rule (cover dates, reserve, limits, reversals) is the service's."""
from __future__ import annotations

from rest_framework import serializers

from claims import privacy
from claims.models import Claim, ClaimTransaction, HandlerAuthority, PendingClaimChange
from core.serializers import FieldsBuiltOnce, LedgerRowSerializer, money_field

_MASKED_HELP = (f"patients' data: shown as {privacy.MASK!r} unless you may see it (clerk); an auditor asks "
                "for one claim with POST …/reveal/")


class ClaimSerializer(serializers.ModelSerializer):
    """A claim as the requesting user may see it: its claimant and cause masked unless
    claims.privacy.can_see_patient_data (the serializer's context names the request)."""

    policy_number = serializers.CharField(source="policy.policy_number", read_only=True)
    insured_name = serializers.CharField(source="policy.insured.name", read_only=True)
    currency = serializers.CharField(source="policy.currency", read_only=True)
    outstanding_indemnity = money_field(read_only=True, allow_null=True, default=None)
    outstanding_expense = money_field(read_only=True, allow_null=True, default=None)
    outstanding = money_field(read_only=True, allow_null=True, default=None)
    paid = money_field(read_only=True, allow_null=True, default=None)
    incurred = money_field(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Claim
        fields = ("claim_number", "policy_number", "insured_name", "currency", "occurrence_date", "report_date",
                  "cause", "litigated", "status", "claimant", "awarded_diyeh_share", "outstanding_indemnity",
                  "outstanding_expense", "outstanding", "paid", "incurred", "created_at", "anonymised_at")
        read_only_fields = fields
        extra_kwargs = {"claimant": {"help_text": _MASKED_HELP}, "cause": {"help_text": _MASKED_HELP},
                        "anonymised_at": {"help_text": "when the claimant and cause were erased (retention)"}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not privacy.can_see_patient_data(getattr(request, "user", None)):
            for name in privacy.PATIENT_DATA_FIELDS:
                if name in data:
                    data[name] = privacy.masked(data[name])
        return data


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="why you need this claim's patients' data (recorded in "
                                                             "the audit trail; do not write the patient's name)")


class PatientDataSerializer(serializers.Serializer):
    """One claim's patients' data, revealed (an audit row records who asked and why)."""

    claimant = serializers.CharField(allow_blank=True)
    cause = serializers.CharField(allow_blank=True)


class ClaimReportSerializer(serializers.Serializer):
    """First notice of a claim (claim_report), optionally with first case estimates."""

    policy_number = serializers.CharField(max_length=40)
    claim_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                         help_text="empty: numbered from the policy")
    occurrence_date = serializers.DateField()
    report_date = serializers.DateField()
    cause = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    litigated = serializers.BooleanField(required=False, default=False)
    claimant = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    awarded_diyeh_share = serializers.DecimalField(max_digits=7, decimal_places=4, required=False, allow_null=True,
                                                   help_text="share of a full diyeh: 0.25 = 25%")
    initial_reserve = serializers.DictField(
        child=money_field(), required=False, allow_empty=True,
        help_text='first case estimate per cost type, e.g. {"indemnity": "500000.00", "expense": "50000.00"}',
    )


class ClaimTransactionSerializer(LedgerRowSerializer):
    claim_number = serializers.CharField(source="claim.claim_number", read_only=True)
    cost_type = serializers.ChoiceField(choices=ClaimTransaction.CostType.choices, read_only=True, allow_blank=True,
                                        help_text="empty on close and reopen rows, which carry no amount")

    class Meta:
        model = ClaimTransaction
        fields = ("id", "transaction_id", "claim_number", "kind", "effect_kind", "cost_type", "amount",
                  "accounting_date", "recorded_at", "recorded_by", "reverses", "derived", "topup", "note")
        read_only_fields = fields


class ClaimLedgerRowSerializer(ClaimTransactionSerializer):
    """A ledger row with the claim's running figures after it (booking order)."""

    running_outstanding_indemnity = money_field(read_only=True)
    running_outstanding_expense = money_field(read_only=True)
    running_outstanding = money_field(read_only=True)
    running_paid = money_field(read_only=True)
    running_incurred = money_field(read_only=True)

    class Meta(ClaimTransactionSerializer.Meta):
        fields = ClaimTransactionSerializer.Meta.fields + (
            "running_outstanding_indemnity", "running_outstanding_expense", "running_outstanding",
            "running_paid", "running_incurred",
        )
        read_only_fields = fields


POSTING_KINDS = [("reserve", "reserve"), ("payment", "payment"), ("recovery", "recovery")]


class ClaimPostingSerializer(serializers.Serializer):
    """A reserve change, payment or recovery. A reserve is given as the signed change
    (`amount`) or as the estimate it should become (`new_estimate`)."""

    kind = serializers.ChoiceField(choices=POSTING_KINDS)
    cost_type = serializers.ChoiceField(choices=ClaimTransaction.CostType.choices)
    amount = money_field(required=False, allow_null=True,
                         help_text="payment/recovery: the amount (positive); reserve: the signed change")
    new_estimate = money_field(required=False, allow_null=True, help_text="reserve only: the new case estimate")
    accounting_date = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, data):
        if data.get("new_estimate") is not None and data["kind"] != "reserve":
            raise serializers.ValidationError({"new_estimate": ["only a reserve change takes a new estimate"]})
        return data


class SettleSerializer(serializers.Serializer):
    loss_amount = money_field(help_text="the whole loss as agreed or awarded, before the deductible and "
                                        "including any indemnity already paid on the claim")
    expense_amount = money_field(required=False, allow_null=True, help_text="expenses paid with the settlement")
    accounting_date = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SettlementSerializer(serializers.Serializer):
    share = money_field(help_text="the insurer's share of the whole agreed loss: min(max(loss − deductible, 0), "
                                  "per-claim limit, aggregate limit − the policy's other claims' usage)")
    paid_before = money_field(help_text="indemnity already paid on the claim before the settlement "
                                        "(recoveries do not reduce it)")
    to_pay = money_field(help_text="indemnity this settlement paid: max(share − paid_before, 0)")
    claim = ClaimSerializer()
    transactions = ClaimTransactionSerializer(many=True)


class StatusChangeSerializer(serializers.Serializer):
    accounting_date = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ClaimMasterSerializer(serializers.Serializer):
    """Master-data changes (claim_update_master); send only what changes."""

    occurrence_date = serializers.DateField(required=False)
    report_date = serializers.DateField(required=False)
    cause = serializers.CharField(max_length=200, required=False, allow_blank=True)
    litigated = serializers.BooleanField(required=False)
    claimant = serializers.CharField(max_length=200, required=False, allow_blank=True)
    awarded_diyeh_share = serializers.DecimalField(max_digits=7, decimal_places=4, required=False, allow_null=True)


class PendingClaimChangeSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A reserve change or payment above its requester's authority: waiting, approved (with the
    ledger row it posted) or rejected."""

    claim_number = serializers.CharField(source="claim.claim_number", read_only=True)
    currency = serializers.CharField(source="claim.policy.currency", read_only=True)
    amount = money_field(read_only=True, help_text="reserve: the signed change as requested; payment: the amount")
    new_estimate = money_field(read_only=True, allow_null=True)
    authority_amount = money_field(read_only=True, help_text="what the authority is measured on, at the request")
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)
    posted = serializers.CharField(source="posted.transaction_id", read_only=True, allow_null=True, default=None,
                                   help_text="the ledger row the approval posted")

    class Meta:
        model = PendingClaimChange
        fields = ("id", "claim_number", "currency", "kind", "cost_type", "amount", "new_estimate", "authority_amount",
                  "accounting_date", "note", "status", "requested_by", "requested_at", "decided_by", "decided_at",
                  "decision_note", "posted")
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class HandlerAuthoritySerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    reserve_limit = money_field(read_only=True)
    payment_limit = money_field(read_only=True)

    class Meta:
        model = HandlerAuthority
        fields = ("id", "username", "currency", "reserve_limit", "payment_limit", "updated_at")
        read_only_fields = fields


class HandlerAuthoritySetSerializer(serializers.Serializer):
    """Set (create or change) a handler's authority in one currency."""

    username = serializers.CharField(max_length=150)
    currency = serializers.CharField(max_length=3)
    reserve_limit = money_field(help_text="largest case estimate a reserve increase may reach, and largest decrease")
    payment_limit = money_field(help_text="largest single payment")


class LargeLossSerializer(ClaimSerializer):
    """A claim whose incurred reached the large-loss threshold of its currency."""

    threshold = money_field(read_only=True)
    claim_url = serializers.SerializerMethodField(help_text="the claim in this API")

    class Meta(ClaimSerializer.Meta):
        fields = ClaimSerializer.Meta.fields + ("threshold", "claim_url")
        read_only_fields = fields

    def get_claim_url(self, claim) -> str:
        from django.urls import reverse

        path = reverse("claim-detail", kwargs={"claim_number": claim.claim_number})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
