from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core: audit trail and reporting periods")

    def ready(self):
        # connects the signals that drop the cached closed periods when a period changes
        from core import period_cache  # noqa: F401

        # the application's database role is re-granted after every migrate (DATABASE_APP_ROLE)
        from django.db.models.signals import post_migrate

        from core.db_roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="core.db_roles.grant_after_migrate")

        # API tokens are issued by `manage.py api_token`, not edited in a plain admin page
        from django.contrib import admin
        from rest_framework.authtoken.models import TokenProxy

        if admin.site.is_registered(TokenProxy):
            admin.site.unregister(TokenProxy)
