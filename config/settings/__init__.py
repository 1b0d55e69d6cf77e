"""Development and demo settings: the default module (`make demo`, the tests, `manage.py`,
DJANGO_SETTINGS_MODULE=config.settings). DEBUG on, 127.0.0.1 and localhost allowed, static files
served by runserver, the demo users' fixed passwords ("demo mode"). SECRET_KEY, DEBUG and
ALLOWED_HOSTS may still be overridden by the environment.

A deployment uses `config.settings.production` instead (see its docstring and the README).
"""
import os

from config.settings.base import *  # noqa: F403 - the shared settings
from config.settings.base import env_bool

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-key-change-me")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

DEMO_MODE = True
# WhiteNoise warns at every start while STATIC_ROOT (collectstatic's folder, git-ignored) is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
