"""demo_users: role groups with the right permissions, users that can log in, idempotent."""
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("demo_users", stdout=out)
    return out.getvalue()


def test_demo_users_can_log_in_with_printed_passwords():
    out = run()
    for name in ("clerk", "actuary", "approver", "auditor", "admin"):
        assert f"{name}-demo-2026" in out
        user = authenticate(username=name, password=f"{name}-demo-2026")
        assert user is not None and user.is_staff
    assert get_user_model().objects.get(username="admin").is_superuser


def test_roles_get_their_permissions():
    run()
    User = get_user_model()
    clerk, actuary, auditor = (User.objects.get(username=n) for n in ("clerk", "actuary", "auditor"))
    assert clerk.has_perm("claims.add_claimtransaction") and clerk.has_perm("policies.change_policy")
    assert not clerk.has_perm("policies.delete_policy")
    assert auditor.has_perm("claims.view_claimtransaction") and auditor.has_perm("core.view_auditevent")
    assert not auditor.has_perm("claims.add_claim")
    assert actuary.has_perm("policies.view_policy") and not actuary.has_perm("claims.add_claim")


def test_rerunning_resets_passwords_without_duplicates():
    run()
    clerk = get_user_model().objects.get(username="clerk")
    clerk.set_password("forgotten")
    clerk.save()
    run()
    assert get_user_model().objects.filter(username="clerk").count() == 1
    assert authenticate(username="clerk", password="clerk-demo-2026") is not None


def test_actuary_and_approver_work_every_reserving_model():
    from django.contrib.auth.models import Permission

    run()
    codenames = list(Permission.objects.filter(content_type__app_label="reserving", codename__startswith="change_")
                     .values_list("codename", flat=True))
    assert codenames, "the reserving app has models"
    User = get_user_model()
    for name in ("actuary", "approver"):
        user = User.objects.get(username=name)
        assert all(user.has_perm(f"reserving.{c}") for c in codenames)
    assert not User.objects.get(username="auditor").has_perm(f"reserving.{codenames[0]}")


def test_refuses_outside_demo_mode(settings):
    from django.core.management.base import CommandError

    settings.DEMO_MODE = False  # what config.settings.production says
    with pytest.raises(CommandError, match="refuses to run outside demo mode"):
        run()
    assert not get_user_model().objects.filter(username__in=["clerk", "admin"]).exists()
