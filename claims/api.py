"""REST API for claims and the claim ledger (/api/v1/claims/, /api/v1/claim-transactions/), the
queue of changes above a handler's authority (/api/v1/claim-changes/), the authorities
(/api/v1/claim-authorities/) and the large losses (/api/v1/large-losses/).
Views only type the input and call claims.services / selectors; a refused posting comes back
as 400 with a field map through core.api.exception_handler."""
from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from claims import privacy, selectors, services
from claims.models import Claim, ClaimTransaction, HandlerAuthority, PendingClaimChange
from claims.serializers import (
    ClaimLedgerRowSerializer,
    ClaimMasterSerializer,
    ClaimPostingSerializer,
    ClaimReportSerializer,
    ClaimSerializer,
    ClaimTransactionSerializer,
    DecisionSerializer,
    HandlerAuthoritySerializer,
    HandlerAuthoritySetSerializer,
    LargeLossSerializer,
    PatientDataSerializer,
    PendingClaimChangeSerializer,
    RevealSerializer,
    SettlementSerializer,
    SettleSerializer,
    StatusChangeSerializer,
)
from core.api import JsonApi, LedgerViewSet, ReadOrPermittedWrite, ledger_reverse, validated
from core.errors import DomainError
from core.roles import Operation, can
from policies.models import Policy

_LEDGER_RELATED = ("claim", "reverses", "recorded_by")


class ClaimFilter(django_filters.FilterSet):
    segment = django_filters.CharFilter(field_name="policy__segment")
    currency = django_filters.CharFilter(field_name="policy__currency")
    policy_number = django_filters.CharFilter(field_name="policy__policy_number")
    reported_from = django_filters.DateFilter(field_name="report_date", lookup_expr="gte")
    reported_to = django_filters.DateFilter(field_name="report_date", lookup_expr="lte")

    class Meta:
        model = Claim
        fields = ["status", "litigated"]


class PatientDataSearchFilter(filters.SearchFilter):
    """`?search=` without the fields of patients' data for users who may not see them (a match
    would tell the name: claims.privacy)."""

    def get_search_fields(self, view, request):
        fields = super().get_search_fields(view, request) or []
        if privacy.can_see_patient_data(request.user):
            return fields
        return [f for f in fields if f.lstrip("^=@$").split("__")[-1] not in privacy.PATIENT_DATA_FIELDS]


class ClaimViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Claims with their outstanding, paid and incurred. Create reports a claim."""

    serializer_class = ClaimSerializer
    permission_classes = [ReadOrPermittedWrite]
    lookup_field = "claim_number"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend, PatientDataSearchFilter, filters.OrderingFilter]
    filterset_class = ClaimFilter
    search_fields = ["claim_number", "policy__policy_number", "policy__insured__name", "claimant"]
    ordering_fields = ["claim_number", "report_date", "occurrence_date"]
    ordering = ["-report_date", "claim_number"]
    write_permissions = {
        "create": "claims.add_claim",
        "transactions": "claims.add_claimtransaction",
        "settle": "claims.add_claimtransaction",
        "close": "claims.add_claimtransaction",
        "reopen": "claims.add_claimtransaction",
        "edit": "claims.change_claim",
        "reveal": "claims.view_claim",  # and Operation.CLAIM_REVEAL, which claim_patient_data_reveal enforces
    }

    def get_queryset(self):
        request = getattr(self, "request", None)
        if request is not None and request.method not in SAFE_METHODS:
            # A write's service locks and re-reads its claim (with its policy): the lookup needs
            # neither the totals (five subqueries, most of a posting's time) nor the joins.
            # Answers that show the claim read it again (_with_totals).
            return Claim.objects.all()
        return self._with_totals()

    def _with_totals(self):
        return selectors.claims_with_totals(selectors.claim_list())

    def _claim_out(self, claim: Claim) -> dict:
        return ClaimSerializer(self._with_totals().get(pk=claim.pk), context=self.get_serializer_context()).data

    @extend_schema(request=ClaimReportSerializer, responses={201: ClaimSerializer})
    def create(self, request, *args, **kwargs):
        data = validated(ClaimReportSerializer, request)
        number = data.pop("policy_number").strip()
        policy = Policy.objects.filter(policy_number=number).first()
        if policy is None:
            raise DomainError(f"no policy numbered {number!r}", field="policy_number")
        claim = services.claim_report(policy=policy, actor=request.user, **data)
        return Response(self._claim_out(claim), status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=ClaimLedgerRowSerializer(many=True))
    @extend_schema(methods=["POST"], request=ClaimPostingSerializer,
                   responses={201: ClaimTransactionSerializer, 202: PendingClaimChangeSerializer})
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def transactions(self, request, claim_number=None):
        """GET: the ledger in booking order with running outstanding, paid and incurred.
        POST: a reserve change, payment or recovery: 201 with the ledger row, or 202 with the
        pending change when a reserve change or payment is above the handler's authority (it
        waits in /claim-changes/ for approval; nothing is posted until then)."""
        claim = self.get_object()
        if request.method == "GET":
            rows = selectors.claim_transactions_with_balances(
                ClaimTransaction.objects.filter(claim=claim).select_related(*_LEDGER_RELATED))
            return Response(ClaimLedgerRowSerializer(rows, many=True).data)
        data = validated(ClaimPostingSerializer, request)
        kind, common = data.pop("kind"), {"claim": claim, "actor": request.user, "cost_type": data["cost_type"],
                                          "accounting_date": data["accounting_date"], "note": data["note"]}
        if kind == "reserve":
            row = services.claim_reserve_change(amount=data.get("amount"), new_estimate=data.get("new_estimate"),
                                                **common)
        elif kind == "payment":
            row = services.claim_payment_post(amount=data.get("amount"), **common)
        else:
            row = services.claim_recovery_post(amount=data.get("amount"), **common)
        if isinstance(row, PendingClaimChange):
            return Response(PendingClaimChangeSerializer(row).data, status=status.HTTP_202_ACCEPTED)
        return Response(ClaimTransactionSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SettleSerializer, responses={201: SettlementSerializer})
    @action(detail=True, methods=["post"])
    def settle(self, request, claim_number=None):
        """Settle on the whole agreed loss: pay the insurer's share (after the deductible, within
        the per-claim and aggregate limits) less the indemnity already paid on the claim (the
        indemnity reserve is raised if needed), and close the claim."""
        claim = self.get_object()
        settlement = services.claim_settle(claim=claim, actor=request.user, **validated(SettleSerializer, request))
        body = {"share": settlement.share, "paid_before": settlement.paid_before, "to_pay": settlement.to_pay,
                "claim": self._with_totals().get(pk=claim.pk),
                "transactions": settlement.rows}
        return Response(SettlementSerializer(body, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=StatusChangeSerializer, responses={201: ClaimTransactionSerializer(many=True)})
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def close(self, request, claim_number=None):
        """Release the remaining estimate (derived reserve rows) and close."""
        rows = services.claim_close(claim=self.get_object(), actor=request.user,
                                    **validated(StatusChangeSerializer, request))
        return Response(ClaimTransactionSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClaimMasterSerializer, responses={200: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def edit(self, request, claim_number=None):
        """Change master data (dates, cause, claimant, litigation, awarded diyeh share); history kept."""
        claim = services.claim_update_master(claim=self.get_object(), actor=request.user,
                                             **validated(ClaimMasterSerializer, request))
        return Response(self._claim_out(claim))

    @extend_schema(request=RevealSerializer, responses={200: PatientDataSerializer})
    @action(detail=True, methods=["post"])
    def reveal(self, request, claim_number=None):
        """The claimant's name and the cause of one claim, for an auditor who gives a reason; an
        audit row records who asked, for which claim and why (never the values). The clerk sees
        them in every claim already; other roles are refused (403)."""
        data = privacy.claim_patient_data_reveal(claim=self.get_object(), actor=request.user,
                                                 **validated(RevealSerializer, request))
        return Response(PatientDataSerializer(data).data)

    @extend_schema(request=StatusChangeSerializer, responses={201: ClaimTransactionSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, claim_number=None):
        row = services.claim_reopen(claim=self.get_object(), actor=request.user,
                                    **validated(StatusChangeSerializer, request))
        return Response(ClaimTransactionSerializer(row).data, status=status.HTTP_201_CREATED)


class ClaimTransactionViewSet(LedgerViewSet):
    """The claim ledger (read-only; corrections are reversal rows). Looked up by transaction_id."""

    serializer_class = ClaimTransactionSerializer
    queryset = ClaimTransaction.objects.all()
    parent = "claim"
    filterset_fields = ["kind", "effect_kind", "cost_type", "accounting_date", "claim__claim_number"]
    search_fields = ["transaction_id", "claim__claim_number"]
    write_permissions = {"reverse": "claims.add_claimtransaction"}
    reverse = ledger_reverse(services.claim_transaction_reverse, ClaimTransactionSerializer)


class ReadOrOperationWrite(ReadOrPermittedWrite):
    """Any signed-in user reads; a write needs the role the view names for that action in
    `write_operations` (core.roles.can), whatever the user's model permissions: deciding on a
    change and setting an authority belong to roles the claims' model permissions do not follow."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return super().has_permission(request, view)
        operation = getattr(view, "write_operations", {}).get(getattr(view, "action", None))
        return bool(request.user and request.user.is_authenticated and operation and can(request.user, operation))


class PendingClaimChangeViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The approval queue (D-36): reserve changes and payments above their requester's
    authority. `?status=pending` lists what waits. Approve posts the ledger row now; reject
    posts nothing."""

    serializer_class = PendingClaimChangeSerializer
    permission_classes = [ReadOrOperationWrite]
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    filterset_fields = {"status": ["exact"], "kind": ["exact"], "cost_type": ["exact"],
                        "claim__claim_number": ["exact"], "claim__policy__currency": ["exact"]}
    ordering_fields = ["requested_at", "amount", "authority_amount"]
    ordering = ["-requested_at", "-id"]
    write_operations = {"approve": Operation.CLAIM_CHANGE_DECIDE, "reject": Operation.CLAIM_CHANGE_DECIDE}

    def get_queryset(self):
        return selectors.pending_changes(status=None)

    def _decide(self, request, approve: bool):
        change = services.claim_change_decide(pending=self.get_object(), approve=approve, actor=request.user,
                                              **validated(DecisionSerializer, request))
        return Response(PendingClaimChangeSerializer(selectors.pending_changes(status=None).get(pk=change.pk)).data)

    @extend_schema(request=DecisionSerializer, responses={200: PendingClaimChangeSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve: the ledger row is posted now (recorded at the approval time)."""
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses={200: PendingClaimChangeSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject: nothing is posted."""
        return self._decide(request, False)


class HandlerAuthorityViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Handlers' reserve and payment authority per currency (D-36). Create sets one: a second
    create for the same handler and currency changes it."""

    serializer_class = HandlerAuthoritySerializer
    permission_classes = [ReadOrOperationWrite]
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {"currency": ["exact"], "user__username": ["exact"]}
    queryset = HandlerAuthority.objects.select_related("user").order_by("user__username", "currency")
    write_operations = {"create": Operation.AUTHORITY_SET}

    @extend_schema(request=HandlerAuthoritySetSerializer, responses={200: HandlerAuthoritySerializer})
    def create(self, request, *args, **kwargs):
        data = validated(HandlerAuthoritySetSerializer, request)
        username = data.pop("username").strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise DomainError(f"no user named {username!r}", field="username")
        row = services.handler_authority_set(user=user, actor=request.user, **data)
        return Response(HandlerAuthoritySerializer(row).data, status=status.HTTP_200_OK)


class LargeLossViewSet(JsonApi, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Claims whose incurred (paid less recoveries, plus outstanding) reached the large-loss
    threshold of their currency (settings.LARGE_LOSS_THRESHOLDS), largest first."""

    serializer_class = LargeLossSerializer
    permission_classes = [ReadOrPermittedWrite]
    filter_backends = []

    @extend_schema(parameters=[OpenApiParameter("currency", str, description="only this currency")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.large_losses(currency=self.request.query_params.get("currency") or None)
