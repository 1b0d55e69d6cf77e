"""Domain errors. Each carries a field map so that the API answers 400 with field messages
and the admin shows the same words; nothing is written when one is raised."""
from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A business rule refused the operation."""

    default_field = "non_field_errors"

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field or self.default_field
        self.code = code

    @property
    def field_errors(self) -> dict[str, list[str]]:
        return {self.field: [self.message]}


class PeriodClosed(DomainError):
    default_field = "accounting_date"

    def __init__(self, day, period_label: str):
        super().__init__(
            # translated when raised: the request's language in the admin and the API, English elsewhere
            _("accounting date %(date)s falls in the closed period %(period)s; post the correction in an open period")
            % {"date": day, "period": period_label},
            code="period_closed",
        )


class PermissionDenied(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="permission_denied")
