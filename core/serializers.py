"""API shapes shared by every app: amounts, and the rows of the two append-only ledgers
(premium and claim) with their reversal input."""
from __future__ import annotations

from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    """A 2-place amount; a zero is never shown as "-0.00" (see core.money.money_round)."""

    def quantize(self, value):
        value = super().quantize(value)
        return value.copy_abs() if value.is_zero() else value


def money_field(**kwargs) -> serializers.DecimalField:
    return MoneyField(max_digits=18, decimal_places=2, **kwargs)


# A ledger row, read-only: the row it reverses by transaction id, who recorded it by username.
# Subclasses name the model and the fields in their Meta. (A comment, not a docstring: the API
# schema would show a docstring as the description of every subclass.)
class LedgerRowSerializer(serializers.ModelSerializer):
    reverses = serializers.CharField(source="reverses.transaction_id", read_only=True, allow_null=True, default=None)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, allow_null=True, default=None)


class ReverseSerializer(serializers.Serializer):
    """Reversal of one ledger row: a new row carrying its negated amounts."""

    accounting_date = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
