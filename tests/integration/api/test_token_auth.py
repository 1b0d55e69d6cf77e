"""Token authentication (issue 15 §4): `Authorization: Token <key>` from `manage.py api_token`
signs a client in without a password being hashed per request; a wrong or revoked token is 401;
the roles and permissions come with the token and still decide what the user may do."""
from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.roles import system_actor
from tests.factories import PolicyFactory

pytestmark = pytest.mark.django_db


def token_of(username: str, *args) -> str:
    out = StringIO()
    call_command("api_token", username, *args, stdout=out)
    return out.getvalue().strip()


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_command_prints_one_token_per_user_and_rotates_it(clerk):
    key = token_of(clerk.username)
    assert len(key) == 40
    assert token_of(clerk.username) == key
    rotated = token_of(clerk.username, "--rotate")
    assert rotated != key
    assert list(Token.objects.filter(user=clerk).values_list("key", flat=True)) == [rotated]


def test_no_token_for_the_system_actor_nor_an_unknown_or_inactive_user(clerk):
    with pytest.raises(CommandError):
        token_of(system_actor().username)
    with pytest.raises(CommandError):
        token_of("nobody-here")
    clerk.is_active = False
    clerk.save()
    with pytest.raises(CommandError):
        token_of(clerk.username)


def test_a_token_signs_in_without_hashing_a_password(clerk):
    PolicyFactory(policy_number="P-TOK")
    client = client_with(token_of(clerk.username))
    with mock.patch("django.contrib.auth.hashers.check_password", wraps=check_password) as checked, \
            mock.patch("django.contrib.auth.base_user.check_password", wraps=check_password) as checked_user:
        response = client.get("/api/v1/policies/P-TOK/")
    assert response.status_code == 200, response.content
    assert not checked.called and not checked_user.called


def test_a_token_user_writes_what_their_role_allows(clerk, auditor):
    PolicyFactory(policy_number="P-TOK")
    endorse = {"effective_date": "2024-07-01", "accounting_date": "2024-07-01", "gross_premium": "100.00"}
    assert client_with(token_of(clerk.username)).post(
        "/api/v1/policies/P-TOK/endorse/", endorse, format="json").status_code == 201
    assert client_with(token_of(auditor.username)).post(
        "/api/v1/policies/P-TOK/endorse/", endorse, format="json").status_code == 403


def test_a_wrong_or_revoked_token_is_401(clerk):
    key = token_of(clerk.username)
    assert client_with("0" * 40).get("/api/v1/policies/").status_code == 401
    token_of(clerk.username, "--rotate")
    assert client_with(key).get("/api/v1/policies/").status_code == 401


def test_an_inactive_users_token_is_401(clerk):
    key = token_of(clerk.username)
    get_user_model().objects.filter(pk=clerk.pk).update(is_active=False)
    assert client_with(key).get("/api/v1/policies/").status_code == 401


def test_without_credentials_the_challenge_is_still_basic():
    response = APIClient().get("/api/v1/policies/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


def test_the_schema_names_the_token_scheme(clerk):
    client = client_with(token_of(clerk.username))
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"tokenAuth" in response.content
