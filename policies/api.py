"""REST API for policies and the premium ledger (/api/v1/policies/, /api/v1/premium-transactions/).
Views only type the input and call policies.services / selectors; a refused operation comes
back as 400 with a field map through core.api.exception_handler."""
from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import JsonApi, LedgerViewSet, ReadOrPermittedWrite, ledger_reverse, validated
from policies import selectors, services
from policies.models import Policy, PremiumTransaction
from policies.serializers import (
    CancelSerializer,
    EndorseSerializer,
    PolicyCreateSerializer,
    PolicySerializer,
    PremiumTransactionSerializer,
)


class PolicyViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Policies with their written premium. Create books the original premium on the issue date."""

    serializer_class = PolicySerializer
    permission_classes = [ReadOrPermittedWrite]
    lookup_field = "policy_number"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    filterset_fields = ["segment", "status", "currency", "basis"]
    search_fields = ["policy_number", "insured__name"]
    ordering_fields = ["policy_number", "inception_date", "expiry_date", "issue_date"]
    ordering = ["policy_number"]
    write_permissions = {
        "create": "policies.add_policy",
        "endorse": "policies.add_premiumtransaction",
        "cancel": "policies.add_premiumtransaction",
    }

    def get_queryset(self):
        return selectors.policy_with_premium(selectors.policy_list())

    def _policy_out(self, policy: Policy) -> Response:
        fresh = self.get_queryset().get(pk=policy.pk)
        return Response(PolicySerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PolicyCreateSerializer, responses={201: PolicySerializer})
    def create(self, request, *args, **kwargs):
        data = validated(PolicyCreateSerializer, request)
        policy = services.policy_create(actor=request.user, **data)
        return self._policy_out(policy)

    @extend_schema(request=EndorseSerializer, responses={201: PremiumTransactionSerializer})
    @action(detail=True, methods=["post"])
    def endorse(self, request, policy_number=None):
        policy = self.get_object()
        row = services.policy_endorse(policy=policy, actor=request.user, **validated(EndorseSerializer, request))
        return Response(PremiumTransactionSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={201: PremiumTransactionSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, policy_number=None):
        policy = self.get_object()
        row = services.policy_cancel(policy=policy, actor=request.user, **validated(CancelSerializer, request))
        return Response(PremiumTransactionSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=PremiumTransactionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="premium-transactions", filter_backends=[], pagination_class=None)
    def premium_transactions(self, request, policy_number=None):
        """The policy's premium ledger in booking order."""
        policy = self.get_object()
        rows = selectors.premium_rows(policy=policy).select_related("policy", "reverses", "recorded_by")
        return Response(PremiumTransactionSerializer(rows.order_by("accounting_date", "id"), many=True).data)


class PremiumTransactionViewSet(LedgerViewSet):
    """The premium ledger (read-only; corrections are reversal rows). Looked up by transaction_id."""

    serializer_class = PremiumTransactionSerializer
    queryset = PremiumTransaction.objects.all()
    parent = "policy"
    filterset_fields = ["kind", "effect_kind", "accounting_date", "policy__policy_number", "policy__segment"]
    search_fields = ["transaction_id", "policy__policy_number"]
    write_permissions = {"reverse": "policies.add_premiumtransaction"}
    reverse = ledger_reverse(services.premium_transaction_reverse, PremiumTransactionSerializer)
