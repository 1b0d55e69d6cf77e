"""The OpenAPI schema and the Swagger UI are for signed-in users only."""
from __future__ import annotations

import base64

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PAGES = ["/api/schema/", "/api/docs/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_refused(url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert b"openapi" not in response.content


@pytest.mark.parametrize("url", PAGES)
def test_wrong_credentials_are_refused(url):
    get_user_model().objects.create_user("docs-reader", password="docs-pw-1")
    token = base64.b64encode(b"docs-reader:nope").decode()
    assert APIClient().get(url, HTTP_AUTHORIZATION=f"Basic {token}").status_code == 401


@pytest.mark.parametrize("url", PAGES)
def test_a_user_signed_in_to_the_admin_reads_them(url):
    client = Client()
    client.force_login(get_user_model().objects.create_user("docs-staff", is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    if url == "/api/schema/":
        assert b"openapi:" in response.content and b"basicAuth" in response.content


@pytest.mark.parametrize("url", PAGES)
def test_an_api_client_with_basic_credentials_reads_them(url):
    get_user_model().objects.create_user("docs-reader", password="docs-pw-1")
    token = base64.b64encode(b"docs-reader:docs-pw-1").decode()
    assert APIClient().get(url, HTTP_AUTHORIZATION=f"Basic {token}").status_code == 200
