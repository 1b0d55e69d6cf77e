"""Thin Celery tasks of the core app."""
from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """Liveness check used by the integration tests and by operators."""
    return "pong"
