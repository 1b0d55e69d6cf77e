"""The schema is generated one request at a time per process (core.api.SchemaView): drf-spectacular
is not safe for two threads generating at once (a 500, or an operation given another serializer's
component, seen under schemathesis on gunicorn's threads)."""
from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator

from core.api import SchemaView

pytestmark = pytest.mark.django_db


def test_four_threads_asking_for_the_schema_generate_it_one_at_a_time():
    user = get_user_model()(username="schema-reader", is_staff=True)  # unsaved: the threads need no database
    view = SchemaView.as_view()
    real = SchemaGenerator.get_schema
    state = {"now": 0, "most": 0}
    guard = threading.Lock()

    def counted(self, *args, **kwargs):
        with guard:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.2)  # long enough for the other threads to arrive while this one generates
        try:
            return real(self, *args, **kwargs)
        finally:
            with guard:
                state["now"] -= 1

    answers = []

    def ask():
        request = RequestFactory().get("/api/schema/?format=json")
        request.user = user
        try:
            answers.append(view(request).status_code)
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            answers.append(repr(exc))

    with mock.patch.object(SchemaGenerator, "get_schema", counted):
        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert answers == [200, 200, 200, 200]
    assert state["most"] == 1
