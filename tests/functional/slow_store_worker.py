"""The Celery app of the killed-worker test: the real app, with each segment's results stored
only after a pause, so the test can kill the worker while a segment is computed in memory but
not yet written. The pause lives here, in the test's worker, not in the services."""
import os
import time

from celery import signals

from config.celery import app  # noqa: F401 - `celery -A tests.functional.slow_store_worker` finds it

PAUSE_SECONDS = float(os.environ.get("MEDMAL_TEST_STORE_PAUSE", "6"))


@signals.task_prerun.connect
def _pause_before_store(**_kwargs):
    from reserving import services

    if getattr(services._segment_store, "paused", False):
        return
    store = services._segment_store

    def paused_store(**kwargs):
        time.sleep(PAUSE_SECONDS)
        return store(**kwargs)

    paused_store.paused = True
    services._segment_store = paused_store
