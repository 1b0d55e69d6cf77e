"""Login rate limit (django-axes) for both ways in: the admin login form and HTTP Basic on the API.

* `AxesBackend` is first in AUTHENTICATION_BACKENDS: a locked-out username is refused before its
  password is tried. Every HTTP login (the admin form, `BasicAuthentication` below) passes the
  request; an `authenticate()` without one (the shell, a command, the test client's `login()`)
  is no HTTP attempt and is not rate-limited (axes would raise instead).
* `BasicAuthentication` is DRF's, authenticating against the Django `HttpRequest` behind DRF's
  request: axes records the failure without parsing the body (a malformed or unsupported body
  cannot keep a failure from counting) and flags the lockout where `AxesMiddleware` sees it.
* `TokenAuthentication` is DRF's token (`Authorization: Token <key>`, keys from `manage.py
  api_token USER`): no password is hashed per request, so an API client can post hundreds of
  rows a second. The token, its user, and the user's roles and permissions come in two queries;
  the roles and permissions are primed onto the user (`prime_roles_and_permissions`), so the
  permission class (`has_perm`) and the services' `authorize` ask nothing more. A wrong token is
  401 (a token is 40 random hex characters: nothing to guess, so axes does not count it).
* `lockout_response` is the answer to a locked-out login: 429 with a JSON `detail` under /api/,
  a plain page elsewhere, with Retry-After (the cool-off).
"""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import BasicScheme as _SpectacularBasicScheme
from drf_spectacular.authentication import TokenScheme as _SpectacularTokenScheme
from rest_framework import authentication, exceptions


class AxesBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class BasicAuthentication(authentication.BasicAuthentication):
    def authenticate_credentials(self, userid, password, request=None):
        return super().authenticate_credentials(userid, password, getattr(request, "_request", request))


class BasicScheme(_SpectacularBasicScheme):
    """The OpenAPI security scheme of `BasicAuthentication`: DRF's basicAuth."""

    target_class = "core.auth.BasicAuthentication"


def prime_roles_and_permissions(user) -> None:
    """Read the user's group names and permissions in one query and keep them on the user where
    ModelBackend (`_perm_cache`, `_user_perm_cache`, `_group_perm_cache`) and core.roles
    (`_medmal_roles`) look first. For the lifetime of this user object (one request)."""
    from core.roles import Role

    User = get_user_model()
    user_groups = User.groups.through._meta.db_table
    user_perms = User.user_permissions.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    group, perm, ctype = Group._meta.db_table, Permission._meta.db_table, ContentType._meta.db_table
    sql = (
        f"SELECT 'g', g.name, '' FROM {user_groups} ug JOIN {group} g ON g.id = ug.group_id WHERE ug.user_id = %s "
        f"UNION ALL SELECT 'u', ct.app_label, p.codename FROM {user_perms} up "
        f"JOIN {perm} p ON p.id = up.permission_id JOIN {ctype} ct ON ct.id = p.content_type_id WHERE up.user_id = %s "
        f"UNION ALL SELECT 'p', ct.app_label, p.codename FROM {user_groups} ug "
        f"JOIN {group_perms} gp ON gp.group_id = ug.group_id JOIN {perm} p ON p.id = gp.permission_id "
        f"JOIN {ctype} ct ON ct.id = p.content_type_id WHERE ug.user_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk, user.pk])
        rows = cursor.fetchall()
    groups = {name for kind, name, _codename in rows if kind == "g"}
    own = {f"{app}.{code}" for kind, app, code in rows if kind == "u"}
    via_groups = {f"{app}.{code}" for kind, app, code in rows if kind == "p"}
    user._medmal_roles = groups & set(Role.values)
    if user.is_active and not user.is_anonymous:
        user._user_perm_cache, user._group_perm_cache = own, via_groups
        user._perm_cache = own | via_groups


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, its user's roles and permissions primed (see the module)."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        try:
            token = model.objects.select_related("user").get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        prime_roles_and_permissions(token.user)
        return token.user, token


class TokenScheme(_SpectacularTokenScheme):
    """The OpenAPI security scheme of `TokenAuthentication`: DRF's tokenAuth."""

    target_class = "core.auth.TokenAuthentication"


def lockout_response(request, original_response=None, credentials=None):
    message = str(get_lockout_message())
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=status)
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    cool_off = get_cool_off(request)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
