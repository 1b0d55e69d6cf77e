"""Tariff API routes (included under /api/v1/ by config/urls.py)."""
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from tariff import api

router = SimpleRouter()
router.register("tariff/versions", api.TariffVersionViewSet, basename="tariff-version")
router.register("tariff/diyeh-amounts", api.DiyehAmountViewSet, basename="diyeh-amount")

urlpatterns = [
    path("tariff/quotes/", api.QuoteView.as_view(), name="tariff-quote"),
    path("tariff/policies/", api.IssueFromQuoteView.as_view(), name="tariff-issue"),
    path("tariff/indicated-rates/", api.IndicatedRatesView.as_view(), name="tariff-indicated"),
    path("", include(router.urls)),
]
