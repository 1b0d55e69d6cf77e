"""Long work off the request, with progress (issue 16 §4): the book import upload and the report
exports, done the way a run's compute is. The page starts a job and returns at once; the job runs
in a Celery worker when a broker is set, in a thread of the web process in the demo's development
server (RUN_SEGMENTS_IN_THREAD), and in the request itself otherwise (tests, eager Celery). The
job page (core.views.job_page) polls its state and shows the result when it is done.

A job's state (stage, done of total, result) lives in the cache for a day: the shared Redis cache
when there is a broker, process memory in the single-process demo. What a job does is recorded
where it always is (the import's and the export's audit records); its files (the upload, the
export) sit in VAR_DIR/jobs/<id>/, which a web process and its workers share, and go after a day.

The kinds are named in settings.BACKGROUND_JOBS (kind -> dotted path of `fn(job, actor, **params)`
returning a JSON-able dict): core sits below the apps whose work it runs (.importlinter)."""
from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
STATE_SECONDS = 86400
_KEY = "job:{}"
# At most this often a running job writes its progress (a Redis round trip each time).
_PROGRESS_EVERY_SECONDS = 0.3

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


def job_dir(job_id: str) -> Path:
    return Path(settings.VAR_DIR) / "jobs" / job_id


def job_state(job_id: str) -> dict | None:
    return cache.get(_KEY.format(job_id))


def _state_save(state: dict) -> None:
    state["updated"] = time.time()
    cache.set(_KEY.format(state["id"]), state, STATE_SECONDS)


def job_visible(state: dict | None, user) -> bool:
    """A job is its starter's (and a superuser's): an import's report names patients' rows."""
    return state is not None and (state["owner"] == user.pk or user.is_superuser)


class JobProgress:
    """What a job reports while it runs: a stage name, rows (or steps) done of a total. The same
    calls as exchange.bookio.write.Progress (tick / note), so the import reports to it directly."""

    enabled = True

    def __init__(self, state: dict):
        self.state = state
        self._saved = 0.0

    def tick(self, stage: str, done: int, total: int | None = None) -> None:
        self.state.update(stage=str(stage), done=int(done), total=int(total) if total else None)
        now = time.monotonic()
        if now - self._saved >= _PROGRESS_EVERY_SECONDS or (total and done >= total):
            self._saved = now
            _state_save(self.state)

    def note(self, text: str) -> None:
        self.state["stage"] = str(text)
        _state_save(self.state)


def job_new_dir() -> tuple[str, Path]:
    """A fresh job id and its folder, for a page that stores files (an upload) before it starts
    the job (job_start(..., job_id=...))."""
    job_id = uuid.uuid4().hex
    path = job_dir(job_id)
    path.mkdir(parents=True, exist_ok=True)
    return job_id, path


def job_start(*, kind: str, owner, params: dict | None = None, title: str = "", job_id: str | None = None) -> str:
    """A job of `kind` for `owner` (a user) with JSON-able params; returns its id at once (or,
    without any background, after it ran)."""
    import_string(settings.BACKGROUND_JOBS[kind])  # an unknown kind fails here, in the request
    _jobs_expire()
    job_id = job_id or uuid.uuid4().hex
    state = {"id": job_id, "kind": kind, "owner": owner.pk, "title": str(title), "params": params or {},
             "language": translation.get_language() or settings.LANGUAGE_CODE,
             "status": QUEUED, "stage": "", "done": 0, "total": None, "result": None, "error": "",
             "created": time.time()}
    _state_save(state)
    _dispatch(job_id)
    return job_id


def _dispatch(job_id: str) -> None:
    from core.tasks import run_job

    if not run_job.app.conf.task_always_eager:
        run_job.delay(job_id)
    elif getattr(settings, "RUN_SEGMENTS_IN_THREAD", False):
        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True, name=f"job-{job_id[:8]}").start()
    else:
        job_run(job_id)


def _run_in_thread(job_id: str) -> None:
    from django.db import connection

    try:
        job_run(job_id)
    finally:
        connection.close()  # the thread's own connection


def job_run(job_id: str) -> dict | None:
    """Run a queued job to its end; the state says done (with the result) or failed (with the
    reason). A job already started elsewhere (a redelivered task) is left alone."""
    from django.contrib.auth import get_user_model

    from core.errors import DomainError

    state = job_state(job_id)
    if state is None or state["status"] != QUEUED:
        return state
    state.update(status=RUNNING, started=time.time())
    _state_save(state)
    progress = JobProgress(state)
    try:
        actor = get_user_model().objects.get(pk=state["owner"])
        # The job's stage names and messages in the language of the user who started it.
        with translation.override(state.get("language") or settings.LANGUAGE_CODE):
            result = import_string(settings.BACKGROUND_JOBS[state["kind"]])(job=progress, job_id=job_id, actor=actor,
                                                                            **state["params"])
        state.update(status=DONE, result=result)
    except DomainError as exc:
        state.update(status=FAILED, error=str(exc.message))
    except Exception as exc:  # noqa: BLE001 - the page says the job failed instead of polling for ever
        logger.exception("job %s (%s) failed", job_id, state["kind"])
        state.update(status=FAILED, error=f"{type(exc).__name__}: {exc}")
    state["finished"] = time.time()
    _state_save(state)
    return state


def _jobs_expire() -> None:
    """Job folders older than the state they belong to are removed (an upload, an export)."""
    root = Path(settings.VAR_DIR) / "jobs"
    if not root.exists():
        return
    cutoff = time.time() - STATE_SECONDS
    for path in root.iterdir():
        try:
            if path.is_dir() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue
