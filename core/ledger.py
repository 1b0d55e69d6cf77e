"""What the two append-only ledgers (premium rows, claim rows) share."""
from __future__ import annotations

from django.db import models


def row_kinds(effect_kinds: type[models.TextChoices]) -> type[models.TextChoices]:
    """A ledger's row kinds: its effect kinds, then "reversal". A reversal row's effect kind is
    the kind of the row it reverses, so sums by effect need no self-join."""
    members = [(m.name, (m.value, m.label)) for m in effect_kinds]
    owner = effect_kinds.__qualname__.rpartition(".")[0]
    return models.TextChoices("Kind", [*members, ("REVERSAL", ("reversal", "reversal"))],
                              module=effect_kinds.__module__, qualname=f"{owner}.Kind" if owner else "Kind")
