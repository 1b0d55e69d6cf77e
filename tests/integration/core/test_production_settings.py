"""config.settings.production: `check --deploy` is clean under it, it refuses to start without
DJANGO_SECRET_KEY or DJANGO_ALLOWED_HOSTS, and it is not demo mode (`demo_users` refuses).

Each case runs `manage.py` in a subprocess: the settings module is read once per process."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# 64 characters, many distinct: what Django's security.W009 asks of a production key.
STRONG_KEY = "pr0d-K3y_" + "".join(chr(ord("a") + (i * 7) % 26) + str(i % 10) for i in range(28)) + "Zq"
HOSTS = "backoffice.example.com,api.example.com"


def manage(tmp_path, *args: str, drop: tuple[str, ...] = (), **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items()
               if k not in {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "DEBUG",
                            "SECRET_KEY", "ALLOWED_HOSTS"}}
    environ.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": HOSTS,
        "VAR_DIR": str(tmp_path / "var"),
        **env,
    })
    for name in drop:
        environ.pop(name, None)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=180)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", [None, "postgres://medmal:secret@db.example.invalid:5432/medmal"],
                         ids=["default-database", "postgres-url"])
def test_check_deploy_is_clean_under_production_settings(tmp_path, database_url):
    extra = {"DATABASE_URL": database_url} if database_url else {}
    done = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **extra)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output and "(security." not in output, output


@pytest.mark.slow
def test_the_development_settings_do_warn_so_the_check_above_means_something(tmp_path):
    done = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING",
                  DJANGO_SETTINGS_MODULE="config.settings")
    assert done.returncode != 0
    for code in ("security.W018", "security.W012", "security.W004"):  # DEBUG, cookie, HSTS
        assert code in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_settings_refuse_to_start_without_each_variable(tmp_path, missing, how):
    if how == "unset":
        done = manage(tmp_path, "check", drop=(missing,))
    else:
        done = manage(tmp_path, "check", **{missing: "  "})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert f"{missing} is not set" in done.stderr


def test_production_settings_values(monkeypatch):
    """The module itself, imported with the two variables: DEBUG off, HTTPS only, not demo mode."""
    import importlib

    monkeypatch.setenv("DJANGO_SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", " backoffice.example.com , api.example.com,")
    monkeypatch.setenv("DEBUG", "1")  # the development switch has no say in production
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    try:
        prod = importlib.import_module("config.settings.production")
        assert prod.SECRET_KEY == STRONG_KEY
        assert prod.ALLOWED_HOSTS == ["backoffice.example.com", "api.example.com"]
        assert prod.DEBUG is False and prod.DEMO_MODE is False
        assert prod.SESSION_COOKIE_SECURE and prod.CSRF_COOKIE_SECURE and prod.SECURE_SSL_REDIRECT
        assert prod.SECURE_HSTS_SECONDS >= 31536000
        assert prod.SECURE_HSTS_INCLUDE_SUBDOMAINS and prod.SECURE_HSTS_PRELOAD
        assert prod.AXES_FAILURE_LIMIT == 10
    finally:
        sys.modules.pop("config.settings.production", None)


def test_the_default_settings_stay_the_development_setup():
    from django.conf import settings

    assert settings.SETTINGS_MODULE == "config.settings"
    assert settings.DEMO_MODE is True
    assert {"127.0.0.1", "localhost", "testserver"} <= set(settings.ALLOWED_HOSTS)
    assert settings.BASE_DIR == ROOT and settings.TEMPLATES[0]["DIRS"] == [ROOT / "templates"]


@pytest.mark.slow
def test_demo_users_refuses_to_run_under_production_settings(tmp_path):
    done = manage(tmp_path, "demo_users")
    assert done.returncode == 1
    assert "CommandError: demo_users refuses to run outside demo mode" in done.stderr
    assert "-demo-2026" not in done.stdout + done.stderr  # no password printed
