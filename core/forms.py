"""Form pieces shared by every app's admin pages."""
from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.jalali import jalali_parse


def form_add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names (or on top of the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class ReverseForm(forms.Form):
    """Reversal of one ledger row (premium or claim): a new row with the negated amounts."""

    accounting_date = forms.DateField(widget=AdminDateWidget, label=_("Accounting date"))
    note = forms.CharField(max_length=500, required=False, label=_("Note"))


class LocalDateField(forms.DateField):
    """A date typed as ISO (or the locale's input formats) or, for rial business, as a Jalali
    date (1404/01/01, Persian digits too; core.jalali.jalali_parse): stored Gregorian."""

    default_error_messages = {"jalali": _("%(value)s is not a date of the Jalali calendar")}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", AdminDateWidget)
        help_text = kwargs.pop("help_text", "")
        jalali_hint = _("YYYY-MM-DD, or Jalali YYYY/MM/DD")
        kwargs["help_text"] = format_lazy("{} ({})", help_text, jalali_hint) if help_text else jalali_hint
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                day = jalali_parse(value)
            except ValueError:
                raise forms.ValidationError(self.error_messages["jalali"], code="jalali", params={"value": value})
            if day is not None:
                return day
        return super().to_python(value)
