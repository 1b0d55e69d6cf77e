"""The request log never carries a search term or a patients'-data query value (issue 14 §4):
every configured handler carries the filter, and a record through it comes out redacted."""
from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from core.log_filters import SearchTermsFilter


def test_every_configured_handler_redacts_search_terms():
    config = settings.LOGGING
    names = [name for name, spec in config["filters"].items() if import_string(spec["()"]) is SearchTermsFilter]
    assert names == ["patients_data"]
    assert {h: spec.get("filters") for h, spec in config["handlers"].items()} == {
        "console": ["patients_data"], "django.server": ["patients_data"]}
    assert config["loggers"]["django.server"]["handlers"] == ["django.server"]
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1,
                               '"GET /admin/claims/claim/?q=Ivanova+Anna&status=open HTTP/1.1" 200 %s', (512,), None)
    assert SearchTermsFilter().filter(record) is True
    assert record.getMessage() == '"GET /admin/claims/claim/?q=[redacted]&status=open HTTP/1.1" 200 512'
