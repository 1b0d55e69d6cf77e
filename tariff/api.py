"""REST endpoints of the tariff app: quotes, issuing from a quote, tariff versions, diyeh
amounts and their revaluation, indicated rates. Thin: parse, call a selector or service."""
from __future__ import annotations

from dataclasses import asdict

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import JsonApi
from core.errors import DomainError
from tariff import selectors, services
from tariff.forms import quote_request_build
from tariff.models import DiyehAmount, TariffVersion
from tariff.serializers import (
    DiyehAmountSerializer, IndicatedInputSerializer, IssueInputSerializer, QuoteInputSerializer,
    QuoteOutputSerializer, RevalueInputSerializer, TariffVersionSerializer,
)

QUOTE_FIELDS = ("profession", "setting", "cover", "cover_share", "resident", "claim_free_years", "group_size",
                "group_members", "group_formed_for_insurance", "currency")


def _request_of(data: dict):
    return quote_request_build(**{k: data[k] for k in QUOTE_FIELDS})


class QuoteView(JsonApi, APIView):
    @extend_schema(request=QuoteInputSerializer, responses=QuoteOutputSerializer)
    def post(self, request):
        data = QuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        quote = selectors.quote_price(
            request=_request_of(v), on=v["date"] or timezone.localdate(), tariff_code=v["tariff_version"] or None
        )
        return Response(quote.as_json())


class IssueFromQuoteView(JsonApi, APIView):
    @extend_schema(request=IssueInputSerializer, responses={201: inline_serializer("IssuedPolicy", {
        "policy_number": serializers.CharField(), "tariff_version": serializers.CharField(),
        "rating_steps": serializers.JSONField(help_text="the quote's steps, as the policy keeps them")})})
    def post(self, request):
        data = IssueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        policy = services.policy_issue_from_quote(
            request=_request_of(v), quote_date=v["date"], tariff_code=v["tariff_version"] or None,
            policy_number=v["policy_number"], insured_name=v["insured_name"], inception_date=v["inception_date"],
            expiry_date=v["expiry_date"], issue_date=v["issue_date"], segment=v["segment"], basis=v["basis"],
            retro_date=v["retro_date"], commission=v["commission"], cover_in_diyeh=v["cover_in_diyeh"],
            diyeh_year=v["diyeh_year"], diyeh_increase_endorsement=v["diyeh_increase_endorsement"],
            actor=request.user,
        )
        return Response(
            {"policy_number": policy.policy_number, "tariff_version": policy.tariff_version,
             "rating_steps": policy.rating_steps},
            status=status.HTTP_201_CREATED,
        )


class TariffVersionViewSet(JsonApi, viewsets.ReadOnlyModelViewSet):
    serializer_class = TariffVersionSerializer
    lookup_field = "code"
    queryset = TariffVersion.objects.prefetch_related(
        "professions", "base_rates", "setting_modifiers", "cover_shares", "no_claims_discounts", "group_bands",
        "referral_rules",
    )


class DiyehAmountViewSet(JsonApi, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = DiyehAmountSerializer
    lookup_field = "jalali_year"
    queryset = DiyehAmount.objects.all()

    def create(self, request, *args, **kwargs):
        data = DiyehAmountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.diyeh_year_add(actor=request.user, **data.validated_data)
        return Response(DiyehAmountSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RevalueInputSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def revalue(self, request, jalali_year=None):
        data = RevalueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            year = int(jalali_year)
        except (TypeError, ValueError) as exc:
            raise DomainError("not a Jalali year", field="jalali_year") from exc
        result = services.diyeh_revalue_open_claims(
            jalali_year=year, accounting_date=data.validated_data["accounting_date"], actor=request.user
        )
        return Response({**asdict(result), "accounting_date": result.accounting_date.isoformat(),
                         "total_change": str(result.total_change)})


class IndicatedRatesView(JsonApi, APIView):
    @extend_schema(parameters=[IndicatedInputSerializer], responses={200: OpenApiResponse(
        response={"type": "array", "items": {"type": "object"}},
        description="per risk group and currency: experience, indicated and current rates")})
    def get(self, request):
        data = IndicatedInputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            rows = selectors.indicated_rates(
                period_start=v["period_start"], period_end=v["period_end"], on=v["on"] or timezone.localdate(),
                currency=v["currency"], gamma=v["gamma"], loading_share=v["loading_share"],
                use_claim_sd=v["use_claim_sd"],
            )
        except ValueError as exc:
            raise DomainError(str(exc)) from exc
        return Response([_indicated_json(r) for r in rows])


def _indicated_json(row: selectors.IndicatedRow) -> dict:
    exp, res = row.experience, row.result
    return {
        "risk_group": exp.risk_group, "currency": exp.currency, "n": exp.n, "claims": exp.claims, "q": exp.q,
        "average_payment": exp.average_payment, "average_sum_insured": exp.average_sum_insured,
        "claim_sd": exp.claim_sd, "problem": row.problem,
        "risk_rate": res and res.risk_rate, "risk_loading": res and res.risk_loading,
        "net_rate": res and res.net_rate, "gross_rate": res and res.gross_rate,
        "indicated_permille": res and res.gross_rate_permille,
        "current_permille": None if row.current_permille is None else str(row.current_permille),
        "relative_change": row.relative_change,
    }
