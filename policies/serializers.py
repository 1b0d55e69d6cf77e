"""API shapes of policies and the premium ledger. Input serializers only type the input
(dates, decimals, lengths the columns hold); every business rule is the service's."""
from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from core.serializers import LedgerRowSerializer, money_field
from policies.models import Policy, PremiumTransaction


class PolicySerializer(serializers.ModelSerializer):
    insured_name = serializers.CharField(source="insured.name", read_only=True)
    written_premium = money_field(source="written_gross", read_only=True, allow_null=True, default=None,
                                  help_text="Σ gross premium of the ledger (returns and reversals net out)")
    written_commission = money_field(read_only=True, allow_null=True, default=None)

    class Meta:
        model = Policy
        fields = (
            "policy_number", "insured_name", "profession", "risk_group", "segment", "basis", "retro_date",
            "currency", "inception_date", "expiry_date", "issue_date", "limit_per_claim", "aggregate_limit",
            "deductible_amount", "deductible_percent", "expenses_within_limits", "status", "cancelled_on",
            "tariff_version", "cover_in_diyeh", "diyeh_year", "diyeh_increase_endorsement",
            "written_premium", "written_commission", "created_at",
        )
        read_only_fields = fields


class PolicyCreateSerializer(serializers.Serializer):
    """A policy and its original premium, booked on the issue date (policy_create)."""

    policy_number = serializers.CharField(max_length=40)
    insured_name = serializers.CharField(max_length=200)
    profession = serializers.CharField(max_length=64)
    risk_group = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=32767)
    segment = serializers.CharField(max_length=64)
    basis = serializers.ChoiceField(choices=Policy.Basis.choices)
    retro_date = serializers.DateField(required=False, allow_null=True)
    currency = serializers.CharField(max_length=3, help_text="ISO 4217, e.g. RUB, IRR")
    inception_date = serializers.DateField()
    expiry_date = serializers.DateField()
    issue_date = serializers.DateField()
    limit_per_claim = money_field(required=False, allow_null=True)
    aggregate_limit = money_field(required=False, allow_null=True)
    deductible_amount = money_field(required=False, allow_null=True)
    deductible_percent = serializers.DecimalField(max_digits=7, decimal_places=4, required=False, allow_null=True,
                                                  help_text="percent of each loss: 10 = 10%")
    expenses_within_limits = serializers.BooleanField(required=False, default=False)
    tariff_version = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    cover_in_diyeh = serializers.BooleanField(required=False, default=False)
    diyeh_year = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9999)
    diyeh_increase_endorsement = serializers.BooleanField(required=False, default=False)
    gross_premium = money_field(help_text="the original gross premium")
    commission = money_field(required=False, default=Decimal("0"))


class PremiumTransactionSerializer(LedgerRowSerializer):
    policy_number = serializers.CharField(source="policy.policy_number", read_only=True)

    class Meta:
        model = PremiumTransaction
        fields = ("id", "transaction_id", "policy_number", "kind", "effect_kind", "accounting_date",
                  "effective_date", "gross_premium", "commission", "recorded_at", "recorded_by", "reverses", "note")
        read_only_fields = fields


class EndorseSerializer(serializers.Serializer):
    effective_date = serializers.DateField(help_text="the additional premium earns from this date to expiry")
    accounting_date = serializers.DateField()
    gross_premium = money_field(help_text="negative for a reduction")
    commission = money_field(required=False, default=Decimal("0"))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    effective_date = serializers.DateField()
    accounting_date = serializers.DateField()
    method = serializers.ChoiceField(choices=[("pro_rata", "pro rata"), ("short_rate", "short rate")],
                                     required=False, default="pro_rata")
    return_gross = money_field(required=False, allow_null=True,
                               help_text="short rate only: the gross premium actually returned")
    short_rate_retention = serializers.DecimalField(
        max_digits=7, decimal_places=4, required=False, allow_null=True,
        help_text="short rate only: share of the pro-rata return the insurer keeps (0.1 = 10%)")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

