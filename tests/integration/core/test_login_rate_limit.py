"""Login attempts are rate-limited (django-axes): 10 failures for a username lock it for the
cool-off (15 minutes), through the admin login form and through HTTP Basic on the API alike;
other users are not affected; the lock lifts when the cool-off has passed."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LIMIT = 10
PASSWORD = "right-password-1"


@pytest.fixture
def staff():
    User = get_user_model()
    return {name: User.objects.create_user(name, password=PASSWORD, is_staff=True)
            for name in ("target", "bystander")}


def admin_login(client: Client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/",
                       {"username": username, "password": password, "next": "/admin/"})


def basic(username: str, password: str) -> dict:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def failures(username: str) -> int:
    return sum(AccessAttempt.objects.filter(username=username).values_list("failures_since_start", flat=True))


def test_the_configured_limit():
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_a_fresh_test_database_has_no_attempts():
    assert not AccessAttempt.objects.exists()


def test_admin_login_form_locks_the_username_after_ten_failures(staff):
    client = Client()
    for attempt in range(1, LIMIT):
        response = admin_login(client, "target", f"wrong-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
        assert "_auth_user_id" not in client.session
    assert failures("target") == LIMIT - 1

    locked = admin_login(client, "target", "wrong-10")
    assert locked.status_code == 429
    assert "too many login attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60

    # The right password does not get in while the lock holds.
    assert admin_login(client, "target", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user, from the same client, is not affected.
    other = admin_login(Client(), "bystander", PASSWORD)
    assert other.status_code == 302 and other["Location"] == "/admin/"


def test_the_lock_lifts_after_the_cool_off(staff):
    client = Client()
    for attempt in range(LIMIT):
        admin_login(client, "target", f"wrong-{attempt}")
    assert admin_login(client, "target", PASSWORD).status_code == 429
    AccessAttempt.objects.filter(username="target").update(
        attempt_time=AccessAttempt.objects.get(username="target").attempt_time - timedelta(minutes=16))
    response = admin_login(client, "target", PASSWORD)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff["target"].pk)


def test_a_successful_admin_login_clears_the_count(staff):
    client = Client()
    for attempt in range(LIMIT - 1):
        admin_login(client, "target", f"wrong-{attempt}")
    assert admin_login(client, "target", PASSWORD).status_code == 302
    assert failures("target") == 0


def test_api_basic_auth_failures_count_and_lock(staff):
    api = APIClient()
    for attempt in range(1, LIMIT):
        response = api.get("/api/v1/policies/", **basic("target", f"wrong-{attempt}"))
        assert response.status_code == 401, attempt
        assert response["WWW-Authenticate"].startswith("Basic")
    locked = api.get("/api/v1/policies/", **basic("target", "wrong-10"))
    assert locked.status_code == 429
    assert "too many login attempts" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == 15 * 60

    right = api.get("/api/v1/policies/", **basic("target", PASSWORD))
    assert right.status_code == 429
    assert api.get("/api/v1/policies/", **basic("bystander", PASSWORD)).status_code == 200


def test_failures_through_either_door_add_up(staff):
    for attempt in range(LIMIT // 2):
        admin_login(Client(), "target", f"wrong-form-{attempt}")
    api = APIClient()
    for attempt in range(LIMIT // 2 - 1):
        assert api.get("/api/v1/policies/", **basic("target", f"wrong-api-{attempt}")).status_code == 401
    assert api.get("/api/v1/policies/", **basic("target", "wrong-api-last")).status_code == 429
    assert admin_login(Client(), "target", PASSWORD).status_code == 429


def test_a_bad_request_body_does_not_keep_a_failure_from_counting(staff):
    """Axes reads the Django request, not DRF's parsed body: wrong credentials with a body DRF
    cannot parse (malformed JSON, an unsupported media type) still count."""
    api = APIClient()
    for attempt in range(LIMIT - 1):
        if attempt % 2:
            response = api.post("/api/v1/policies/", data="{not json", content_type="application/json",
                                **basic("target", f"wrong-{attempt}"))
        else:
            response = api.post("/api/v1/policies/", data="<policy/>", content_type="application/xml",
                                **basic("target", f"wrong-{attempt}"))
        assert response.status_code == 401, (attempt, response.content[:200])
    assert failures("target") == LIMIT - 1
    last = api.post("/api/v1/policies/", data="{not json", content_type="application/json",
                    **basic("target", "wrong-last"))
    assert last.status_code == 429


def test_session_auth_on_the_api_is_unaffected_for_a_signed_in_user(staff):
    client = Client()
    assert admin_login(client, "bystander", PASSWORD).status_code == 302
    assert client.get("/api/v1/policies/").status_code == 200
