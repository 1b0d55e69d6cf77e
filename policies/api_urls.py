"""Routes of the policy API, included by config.urls under /api/v1/."""
from rest_framework.routers import SimpleRouter

from policies.api import PolicyViewSet, PremiumTransactionViewSet

router = SimpleRouter()
router.register("policies", PolicyViewSet, basename="policy")
router.register("premium-transactions", PremiumTransactionViewSet, basename="premium-transaction")

urlpatterns = router.urls
