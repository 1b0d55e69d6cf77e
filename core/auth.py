"""Login rate limit (django-axes) for both ways in: the admin login form and HTTP Basic on the API.

* `AxesBackend` is first in AUTHENTICATION_BACKENDS: a locked-out username is refused before its
  password is tried. Every HTTP login (the admin form, `BasicAuthentication` below) passes the
  request; an `authenticate()` without one (the shell, a command, the test client's `login()`)
  is no HTTP attempt and is not rate-limited (axes would raise instead).
* `BasicAuthentication` is DRF's, authenticating against the Django `HttpRequest` behind DRF's
  request: axes records the failure without parsing the body (a malformed or unsupported body
  cannot keep a failure from counting) and flags the lockout where `AxesMiddleware` sees it.
* `lockout_response` is the answer to a locked-out login: 429 with a JSON `detail` under /api/,
  a plain page elsewhere, with Retry-After (the cool-off).
"""
from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_lockout_message
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from drf_spectacular.authentication import BasicScheme as _SpectacularBasicScheme
from rest_framework import authentication


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
