"""URLs: the admin, the REST API under /api/v1/ and its OpenAPI schema and docs."""
from importlib import import_module
from importlib.util import find_spec

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = []
# Each app that exposes an API has <app>/api_urls.py with `urlpatterns`.
for app in ("policies", "claims", "reserving", "exchange", "tariff", "reporting"):
    if find_spec(f"{app}") is not None and find_spec(f"{app}.api_urls") is not None:
        api_v1.append(path("", include(import_module(f"{app}.api_urls"))))

urlpatterns = [
    path("admin/dashboards/", include("reporting.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]
