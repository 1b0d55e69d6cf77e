"""Routes of the claim API, included by config.urls under /api/v1/."""
from rest_framework.routers import SimpleRouter

from claims.api import ClaimTransactionViewSet, ClaimViewSet

router = SimpleRouter()
router.register("claims", ClaimViewSet, basename="claim")
router.register("claim-transactions", ClaimTransactionViewSet, basename="claim-transaction")

urlpatterns = router.urls
