from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core: audit trail and reporting periods"

    def ready(self):
        # connects the signals that drop the cached closed periods when a period changes
        from core import period_cache  # noqa: F401

        # API tokens are issued by `manage.py api_token`, not edited in a plain admin page
        from django.contrib import admin
        from rest_framework.authtoken.models import TokenProxy

        if admin.site.is_registered(TokenProxy):
            admin.site.unregister(TokenProxy)
