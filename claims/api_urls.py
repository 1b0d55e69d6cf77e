"""Routes of the claim API, included by config.urls under /api/v1/."""
from rest_framework.routers import SimpleRouter

from claims.api import (
    ClaimTransactionViewSet,
    ClaimViewSet,
    HandlerAuthorityViewSet,
    LargeLossViewSet,
    PendingClaimChangeViewSet,
)

router = SimpleRouter()
router.register("claims", ClaimViewSet, basename="claim")
router.register("claim-transactions", ClaimTransactionViewSet, basename="claim-transaction")
router.register("claim-changes", PendingClaimChangeViewSet, basename="claim-change")
router.register("claim-authorities", HandlerAuthorityViewSet, basename="claim-authority")
router.register("large-losses", LargeLossViewSet, basename="large-loss")

urlpatterns = router.urls
