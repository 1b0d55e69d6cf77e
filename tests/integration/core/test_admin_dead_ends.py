"""No dead ends in the admin (issue 16 §5): a home page at "/", a 403 page inside the admin with
its navigation, the policy found as the handler types on the claim report, and no "Close" that
means two things on the claim page."""
from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import ClaimFactory, PolicyFactory, user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _role_groups():
    from django.contrib.auth.models import Group

    from core.roles import role_permissions

    for role, permissions in role_permissions().items():  # the role groups as demo_users sets them up
        Group.objects.get_or_create(name=role)[0].permissions.set(permissions)


def test_home_page_links_to_the_admin_and_the_api_docs(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/admin/"' in html and 'href="/api/docs/"' in html and "Sign in to the back office" in html


def test_home_page_lists_the_tools_of_the_users_role(client):
    client.force_login(user_with_roles("home-clerk", "clerk"))
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'href="/admin/claims/claim/"' in html and "/admin/reserving/" not in html  # a clerk runs no reserves
    assert 'id="medmal-language"' in html and 'lang="ru"' in html


def test_a_refused_page_is_a_403_inside_the_admin_with_navigation(client):
    client.force_login(user_with_roles("refused-clerk", "clerk"))  # the clerk does not see reserve runs
    response = client.get(reverse("admin:reserving_reserverun_changelist"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "You may not open this page" in html
    assert 'href="/admin/"' in html and 'href="/admin/claims/claim/"' in html  # the way back and the user's tools
    assert 'id="medmal-language"' in html and "Log out" in html


def test_policy_autocomplete_on_the_claim_report(client):
    client.force_login(user_with_roles("ac-clerk", "clerk"))
    PolicyFactory(policy_number="P-AC-1", insured__name="Leyla Ahmadi")
    PolicyFactory(policy_number="P-OTHER", insured__name="Someone Else")
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "claims", "model_name": "claim", "field_name": "policy", "term": "ahmadi"})
    assert response.status_code == 200
    assert [r["text"] for r in json.loads(response.content)["results"]] == ["P-AC-1"]


def test_the_claim_page_has_one_close_the_claim_action_and_a_back_link(client):
    client.force_login(get_user_model().objects.create_superuser("close-admin", password="x"))
    claim = ClaimFactory()
    html = client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert ">Close claim</a>" in html and "Back to the claims list</a>" in html
    assert ">Close</a>" not in html
