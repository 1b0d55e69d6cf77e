"""API plumbing: role and maker-checker refusals become 403, other domain errors and Django
validation errors 400, each with a field map; the read-or-permitted-write permission, input
validation and the base of the two ledger endpoints (premium and claim transactions).

`JsonApi` is the base of every API view: it reads JSON bodies only (form encodings cannot carry
the null, nested objects and decimal strings the schema describes) and documents, through
`ApiSchema`, the refusals each operation can answer (400 a field map, 401, 403, 404), so the
published schema states every answer the API gives (issue 14 §5, schemathesis)."""
from __future__ import annotations

import threading

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework import filters, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
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


# A refusal's body: a field map ({"field": ["message", …]}, "non_field_errors" for the whole
# input, nested for nested input) or DRF's {"detail": "…"}.
_ERROR_BODY = {
    "type": "object",
    "description": "field → messages (non_field_errors: the whole request), or detail → message",
    "additionalProperties": {"oneOf": [
        {"type": "string"}, {"type": "array", "items": {}}, {"type": "object"},
    ]},
}
_REFUSALS = {
    "400": "refused: the input is malformed or a business rule refuses it (a field map says which)",
    "401": "no or wrong credentials",
    "403": "the user's role may not do this (or maker-checker refuses it)",
    "404": "no such object (or page)",
}


# A character DRF's trim (str.strip) keeps: not one of Python's whitespace, which is wider than a
# regex engine's \s (it counts the separators U+001C–U+001F and U+0085): a value matching this
# pattern is never refused as blank.
NOT_ONLY_SPACE = "[^" + "".join(f"\\u{ord(c):04x}" for c in map(chr, range(0x10000)) if c.isspace()) + "]"


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, stating what the API really does:
    * every refusal an operation can answer (`_REFUSALS`): 401 and 403 everywhere, 404 where the
      path names an object or the list is paginated, 400 where there is input to refuse (a body,
      or query parameters), and those the view names in `extra_refusals`;
    * a RegexField's pattern;
    * a required text input is not blank (DRF refuses "" and whitespace: minLength 1 and a
      non-space), and a decimal string has at least one digit (DRF refuses "-" or ".")."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        has_query = bool(self._get_filter_parameters() or self._get_pagination_parameters()
                         or any(getattr(p, "location", "query") == "query" for p in self.get_override_parameters()))
        codes = ["401", "403", *getattr(self.view, "extra_refusals", ())]
        if self.method in ("POST", "PUT", "PATCH") or has_query:
            codes.append("400")
        if "{" in self.path or self._get_pagination_parameters():
            codes.append("404")
        for code in sorted(set(codes)):
            responses.setdefault(code, {"description": _REFUSALS[code],
                                        "content": {"application/json": {"schema": _ERROR_BODY}}})
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or field.read_only:
            return schema
        for validator in getattr(field, "validators", []):
            # a RegexField's pattern (drf-spectacular leaves it out)
            if isinstance(validator, RegexValidator) and not validator.inverse_match and "pattern" not in schema:
                schema["pattern"] = validator.regex.pattern
        if (isinstance(field, serializers.CharField) and not field.allow_blank
                and schema.get("type") == "string" and "enum" not in schema):
            schema["minLength"] = max(schema.get("minLength", 0), 1)
            if field.trim_whitespace and "pattern" not in schema:
                schema["pattern"] = NOT_ONLY_SPACE
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            whole = "+" if field.max_digits is None else "{1,%d}" % (field.max_digits - (field.decimal_places or 0))
            places = "*" if field.decimal_places is None else "{1,%d}" % field.decimal_places
            schema["pattern"] = rf"^-?(?:\d{whole}(?:\.\d{places})?|\.\d{places})$"
        return schema


class _FreshApiSchema:
    """`view.schema`: a new ApiSchema at every access, as DRF's DefaultSchema gives. One instance
    on the class would be shared by every API view, and drf-spectacular keeps the operation's
    view, path, method and registry on it while generating: two threads generating at once
    built an operation from the other thread's view (another serializer's component, a missing
    400, or a 500)."""

    def __get__(self, instance, owner):
        if instance is not None and "_api_schema" in instance.__dict__:
            return instance.__dict__["_api_schema"]
        schema = ApiSchema()
        schema.view = instance
        return schema

    def __set__(self, instance, schema):
        # drf-spectacular sets an action's own (extend_schema) inspector on the view instance
        instance.__dict__["_api_schema"] = schema
        if schema is not None:
            schema.view = instance


class JsonApi:
    """The base of every API view (first among its bases): JSON bodies only, the schema above."""

    parser_classes = [JSONParser]
    schema = _FreshApiSchema()


@csrf_exempt  # a POST to an unknown URL is a 404, not a CSRF page
def api_not_found(request, *args, **kwargs):
    """An /api/ URL that matches no route: 404 in JSON, as every API error (DEBUG or not)."""
    return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)


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


class LedgerViewSet(JsonApi, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
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


# drf-spectacular loads its extensions and resolves components on first use without a lock: two
# threads of one gunicorn worker generating the schema at once answered a 500 (an extension's
# target class read as None by one thread while the other replaced it) or gave an operation
# another serializer's component. The schema is generated rarely: one at a time per process.
_SCHEMA_LOCK = threading.Lock()


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (/api/schema/), generated one request at a time per process."""

    @extend_schema(**SCHEMA_KWARGS)  # documented (or not) as drf-spectacular does its own view
    def get(self, request, *args, **kwargs):
        with _SCHEMA_LOCK:
            return super().get(request, *args, **kwargs)
