"""API shapes shared by every app: amounts, and the rows of the two append-only ledgers
(premium and claim) with their reversal input."""
from __future__ import annotations

import copy

from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    """A 2-place amount; a zero is never shown as "-0.00" (see core.money.money_round)."""

    def quantize(self, value):
        value = super().quantize(value)
        return value.copy_abs() if value.is_zero() else value


def money_field(**kwargs) -> serializers.DecimalField:
    return MoneyField(max_digits=18, decimal_places=2, **kwargs)


class FieldsBuiltOnce:
    """For a ModelSerializer answered on every posting: its fields are built from the model once
    per class and copied for each instance (DRF rebuilds them from the model's fields each time:
    0.4 of a posting's ~5 ms of CPU; the copy takes 0.1). Only for serializers whose fields depend
    on nothing but their class (not the request or the context)."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built")
        if built is None:
            built = super().get_fields()
            cls._fields_built = built  # per class (__dict__), so a subclass builds its own
        return copy.deepcopy(built)


# A ledger row, read-only: the row it reverses by transaction id, who recorded it by username.
# Subclasses name the model and the fields in their Meta. (A comment, not a docstring: the API
# schema would show a docstring as the description of every subclass.)
class LedgerRowSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    reverses = serializers.CharField(source="reverses.transaction_id", read_only=True, allow_null=True, default=None)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, allow_null=True, default=None)


class ReverseSerializer(serializers.Serializer):
    """Reversal of one ledger row: a new row carrying its negated amounts."""

    accounting_date = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
