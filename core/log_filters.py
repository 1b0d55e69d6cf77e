"""Logging filters: what must never reach a log (issue 14 §4). No model imports: settings.LOGGING
loads these before the apps are ready."""
from __future__ import annotations

import logging
import re

_QUERY_VALUE = re.compile(r"([?&](?:q|search|claimant|cause)=)[^&\s\"']*", re.IGNORECASE)


class SearchTermsFilter(logging.Filter):
    """A logging filter for the request loggers (django.server, django.request, gunicorn's):
    the values of search and patients'-data query parameters (`q`, `search`, `claimant`,
    `cause`) become `[redacted]` in the message, so a search for a claimant's name never reaches
    a log. It passes every record (it rewrites, never drops)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is the handler's to report
            return True
        redacted = _QUERY_VALUE.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
