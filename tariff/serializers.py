"""API shapes of the tariff app. Input serializers check types only; the engine and the
services hold every rule."""
from __future__ import annotations

from rest_framework import serializers

from tariff.engine import SETTINGS
from tariff.models import (
    DiyehAmount, TariffBaseRate, TariffCoverShare, TariffGroupDiscountBand, TariffNoClaimsDiscount,
    TariffProfession, TariffReferralRule, TariffSettingModifier, TariffVersion,
)


class QuoteInputSerializer(serializers.Serializer):
    profession = serializers.CharField(max_length=64)
    setting = serializers.ChoiceField(choices=SETTINGS)
    cover = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="the full (100%) cover")
    cover_share = serializers.DecimalField(max_digits=5, decimal_places=4, required=False, default="1")
    resident = serializers.BooleanField(required=False, default=False)
    claim_free_years = serializers.IntegerField(required=False, default=0)
    group_size = serializers.IntegerField(required=False, allow_null=True, default=None)
    group_members = serializers.IntegerField(required=False, allow_null=True, default=None)
    group_formed_for_insurance = serializers.BooleanField(required=False, default=False)
    currency = serializers.CharField(max_length=3, required=False, default="IRR")
    date = serializers.DateField(required=False, allow_null=True, default=None, help_text="quote date; default today")
    tariff_version = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class QuoteStepSerializer(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class QuoteDiscountSerializer(serializers.Serializer):
    name = serializers.CharField()
    rate = serializers.CharField()
    amount = serializers.CharField()


class QuoteOutputSerializer(serializers.Serializer):
    """Same keys as `quote --json`; money and rates as decimal strings."""

    base_rate_permille = serializers.CharField()
    rate_permille = serializers.CharField()
    premium_before_discounts = serializers.CharField()
    discounts = QuoteDiscountSerializer(many=True)
    premium = serializers.CharField()
    vat = serializers.CharField()
    total = serializers.CharField()
    steps = QuoteStepSerializer(many=True)
    tariff_version = serializers.CharField()


class IssueInputSerializer(QuoteInputSerializer):
    policy_number = serializers.CharField(max_length=40)
    insured_name = serializers.CharField(max_length=200)
    inception_date = serializers.DateField()
    expiry_date = serializers.DateField()
    issue_date = serializers.DateField()
    segment = serializers.CharField(max_length=64, required=False, default="individual_occurrence")
    basis = serializers.ChoiceField(choices=["occurrence", "claims_made"], required=False, default="occurrence")
    retro_date = serializers.DateField(required=False, allow_null=True, default=None)
    commission = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, default="0")
    cover_in_diyeh = serializers.BooleanField(required=False, default=False)
    diyeh_year = serializers.IntegerField(required=False, allow_null=True, default=None)
    diyeh_increase_endorsement = serializers.BooleanField(required=False, default=False)


def _rows(model, fields):
    meta = type("Meta", (), {"model": model, "fields": fields})
    return type(f"{model.__name__}Serializer", (serializers.ModelSerializer,), {"Meta": meta})


class TariffVersionSerializer(serializers.ModelSerializer):
    professions = _rows(TariffProfession, ["code", "name", "risk_group", "nurse_or_aide"])(many=True, read_only=True)
    base_rates = _rows(TariffBaseRate, ["setting", "risk_group", "profession", "rate_permille"])(many=True, read_only=True)
    setting_modifiers = _rows(TariffSettingModifier, ["setting", "base_setting", "multiplier", "nurses_and_aides_only"])(
        many=True, read_only=True)
    cover_shares = _rows(TariffCoverShare, ["cover_share", "multiplier"])(many=True, read_only=True)
    no_claims_discounts = _rows(TariffNoClaimsDiscount, ["claim_free_years", "rate"])(many=True, read_only=True)
    group_bands = _rows(TariffGroupDiscountBand, ["min_size", "max_size", "rate"])(many=True, read_only=True)
    referral_rules = _rows(TariffReferralRule, ["profession", "setting", "reason"])(many=True, read_only=True)

    class Meta:
        model = TariffVersion
        fields = [
            "code", "name", "effective_from", "effective_to", "vat_rate", "resident_multiplier", "group_min_size",
            "group_min_insured_share", "referral_contact", "professions", "base_rates", "setting_modifiers",
            "cover_shares", "no_claims_discounts", "group_bands", "referral_rules",
        ]


class DiyehAmountSerializer(serializers.ModelSerializer):
    class Meta:
        model = DiyehAmount
        fields = ["jalali_year", "amount", "note", "created_at"]
        read_only_fields = ["created_at"]


class RevalueInputSerializer(serializers.Serializer):
    accounting_date = serializers.DateField()


class IndicatedInputSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    on = serializers.DateField(required=False, allow_null=True, default=None, help_text="tariff date; default today")
    currency = serializers.CharField(max_length=3, required=False, default="IRR")
    gamma = serializers.FloatField(required=False, default=0.95)
    loading_share = serializers.FloatField(required=False, default=0.25)
    use_claim_sd = serializers.BooleanField(required=False, default=True)
