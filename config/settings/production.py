"""Production settings: DJANGO_SETTINGS_MODULE=config.settings.production.

Required (the process refuses to start without them):
  DJANGO_SECRET_KEY     the secret key (at least 50 characters, not the development one)
  DJANGO_ALLOWED_HOSTS  comma-separated host names, e.g. "backoffice.example.com,api.example.com"
Optional:
  DATABASE_URL          any dj-database-url URL (default SQLite in var/db.sqlite3, as in development)
  DJANGO_SECURE_PROXY_SSL_HEADER=1  trust X-Forwarded-Proto: https from a TLS-terminating proxy
                        (set it only if that proxy sets or strips the header)
  and the shared ones of config.settings.base (CELERY_BROKER_URL, TIME_ZONE, OFFICIAL_REGIME, ...).

DEBUG is off, cookies are secure, HTTPS is enforced (redirect + HSTS with subdomains and preload),
so `manage.py check --deploy` has nothing to warn about. Not demo mode: `demo_users` refuses.
Static files are collected (`manage.py collectstatic` into STATIC_ROOT: hashed names, gzip copies)
and served by WhiteNoise with a year's cache; a web server in front may serve STATIC_ROOT instead.
"""
import os

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403 - the shared settings
from config.settings.base import env_bool


def required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set: config.settings.production needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS"
        )
    return value


SECRET_KEY = required_env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in required_env("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS names no host (a comma-separated list is expected)")

DEBUG = False
DEMO_MODE = False

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000  # one year
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Hashed names (a changed file gets a new URL) so WhiteNoise may let browsers cache them for a year;
# needs `manage.py collectstatic` before the server starts. Only collected files are served.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = False
