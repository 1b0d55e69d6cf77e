"""Form pieces shared by every app's admin pages."""
from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError


def form_add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names (or on top of the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class ReverseForm(forms.Form):
    """Reversal of one ledger row (premium or claim): a new row with the negated amounts."""

    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))
