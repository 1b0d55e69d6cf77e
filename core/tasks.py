"""Thin Celery tasks of the core app."""
from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """Liveness check used by the integration tests and by operators."""
    return "pong"


@shared_task(name="core.run_job", acks_late=True)
def run_job(job_id: str) -> str:
    """A background job of core.jobs (the book import upload, a report export)."""
    from core.jobs import job_run

    state = job_run(job_id)
    return state["status"] if state else "unknown"
