"""What the two append-only ledgers (premium rows, claim rows) share."""
from __future__ import annotations

import re

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _


def row_kinds(effect_kinds: type[models.TextChoices]) -> type[models.TextChoices]:
    """A ledger's row kinds: its effect kinds, then "reversal". A reversal row's effect kind is
    the kind of the row it reverses, so sums by effect need no self-join."""
    members = [(m.name, (m.value, m.label)) for m in effect_kinds]
    owner = effect_kinds.__qualname__.rpartition(".")[0]
    return models.TextChoices("Kind", [*members, ("REVERSAL", ("reversal", _("reversal")))],
                              module=effect_kinds.__module__, qualname=f"{owner}.Kind" if owner else "Kind")


def insert_with_free_id(model: type[models.Model], transaction_id: str, **fields) -> models.Model:
    """Create a ledger row under `transaction_id` (unique across the ledger, ending in its number:
    "<claim>-T<n>", "<policy>-P<n>"); when another posting took that id meanwhile, move to the
    next number, tried in a savepoint, instead of asking first whether each id is free (a query
    per posting saved)."""
    while True:
        try:
            with transaction.atomic():
                return model.objects.create(transaction_id=transaction_id, **fields)
        except IntegrityError:
            if not model.objects.filter(transaction_id=transaction_id).exists():
                raise  # another constraint, not the id
            transaction_id = re.sub(r"\d+$", lambda m: str(int(m.group()) + 1), transaction_id)
