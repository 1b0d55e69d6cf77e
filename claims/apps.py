from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Claims")

    def ready(self) -> None:
        # A change of a policy's cover must keep its claims covered: policies asks, claims answers.
        from claims.selectors import claims_cover_check
        from policies.services import cover_check_register

        cover_check_register(claims_cover_check)
