"""The Celery app of the fault tests' workers: the real app, with a gate before a segment reads
its stored inputs and before it stores its results. At each gate the worker writes
`<point>~<run>~<segment>~<currency>~<n>.waiting` into $MEDMAL_FAULT_GATE_DIR and waits for the
test's `.go` beside it, so the test injects its fault (drops this worker's database connection,
kills it, restarts the broker, posts through the API) at a known step. The gate lives here, in
the test's worker, not in the services; without the variable the worker is the real one."""
import os
import time
from pathlib import Path

from celery import signals

from config.celery import app  # noqa: F401 - `celery -A tests.functional.fault_gate_worker` finds it

GATE_DIR = os.environ.get("MEDMAL_FAULT_GATE_DIR")
GATE_TIMEOUT_SECONDS = 120


def _wait_at_gate(point: str, run_id: int, segment: str, currency: str) -> None:
    gate = Path(GATE_DIR)
    stem = f"{point}~{run_id}~{segment}~{currency}"
    n = len(list(gate.glob(f"{stem}~*.waiting")))  # counted on disk: survives a killed worker
    waiting = gate / f"{stem}~{n}.waiting"
    waiting.write_text(str(os.getpid()))
    deadline = time.time() + GATE_TIMEOUT_SECONDS
    while not waiting.with_suffix(".go").exists() and time.time() < deadline:
        time.sleep(0.05)


@signals.task_prerun.connect
def _install_gates(**_kwargs):
    from reserving import services

    if not GATE_DIR or getattr(services._segment_store, "gated", False):
        return
    read_inputs, store = services._segment_inputs, services._segment_store

    def gated_inputs(run, segment, currency, *args, **kwargs):
        _wait_at_gate("inputs", run.pk, segment, currency)
        return read_inputs(run, segment, currency, *args, **kwargs)

    def gated_store(*, run_id, outcome):
        _wait_at_gate("store", run_id, outcome.segment, outcome.currency)
        return store(run_id=run_id, outcome=outcome)

    gated_store.gated = True
    services._segment_inputs, services._segment_store = gated_inputs, gated_store
