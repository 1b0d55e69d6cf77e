"""Routes of the reserve-run API, included by config.urls under /api/v1/."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from reserving.api import PeriodCloseView, RegimeViewSet, ReserveRunViewSet

router = SimpleRouter()
router.register("reserve-runs", ReserveRunViewSet, basename="reserve-run")
router.register("regimes", RegimeViewSet, basename="regime")

urlpatterns = router.urls + [path("period-close/", PeriodCloseView.as_view(), name="period-close")]
