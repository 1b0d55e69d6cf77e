"""API plumbing: role and maker-checker refusals become 403, other domain errors and Django
validation errors 400, each with a field map; the read-or-permitted-write permission, input
validation and the base of the two ledger endpoints (premium and claim transactions)."""
from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import filters, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError, PermissionDenied
from core.money import CurrencyError
from core.serializers import ReverseSerializer


def exception_handler(exc, context):
    if isinstance(exc, PermissionDenied):
        return Response(exc.field_errors, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DomainError):
        return Response(exc.field_errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, CurrencyError):
        return Response({"currency": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class ReadOrPermittedWrite(BasePermission):
    """Any signed-in user reads (auditors included); a write needs the Django permission the
    view names for that action in `write_permissions` — an action without one is refused."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        perm = getattr(view, "write_permissions", {}).get(getattr(view, "action", None))
        return bool(perm) and user.has_perm(perm)


def validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class LedgerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An append-only ledger, read-only (corrections are reversal rows), looked up by
    transaction_id, in booking order. A subclass names its serializer, queryset, `parent` (the
    rows' foreign key), filters and write permission, and sets
    `reverse = ledger_reverse(service, serializer)`."""

    permission_classes = [ReadOrPermittedWrite]
    lookup_field = "transaction_id"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    parent = ""

    def get_queryset(self):
        return (super().get_queryset().select_related(self.parent, "reverses", "recorded_by")
                .order_by("accounting_date", "id"))


def ledger_reverse(service, serializer_class):
    """The `reverse` action of a ledger: `service(transaction=, actor=, accounting_date=, note=)`
    posts the reversal row, answered 201 in `serializer_class`."""

    @extend_schema(request=ReverseSerializer, responses={201: serializer_class})
    @action(detail=True, methods=["post"])
    def reverse(self, request, transaction_id=None):
        row = service(transaction=self.get_object(), actor=request.user, **validated(ReverseSerializer, request))
        return Response(serializer_class(row).data, status=status.HTTP_201_CREATED)

    return reverse
