"""URLs: the home page (/), the admin, the language switch (/i18n/setlang/), the REST API under /api/v1/ and its OpenAPI schema and docs."""
from importlib import import_module
from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from core.api import SchemaView, api_not_found
from core.views import home

api_v1 = []
# Each app that exposes an API has <app>/api_urls.py with `urlpatterns`.
for app in ("policies", "claims", "reserving", "exchange", "tariff", "reporting", "core"):
    if find_spec(f"{app}") is not None and find_spec(f"{app}.api_urls") is not None:
        api_v1.append(path("", include(import_module(f"{app}.api_urls"))))

# Last: an /api/v1/…/ URL no route matches answers a JSON 404 (not Django's HTML page).
api_v1.append(re_path(r"^.*/$", api_not_found))

urlpatterns = [
    path("", home, name="home"),
    path("admin/dashboards/", include("reporting.urls")),
    path("admin/", admin.site.urls),
    # set_language: the admin header's language switcher posts here (a cookie, no URL prefix).
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# A refused page inside the admin's frame, with navigation (core.views.permission_denied).
handler403 = "core.views.permission_denied"
