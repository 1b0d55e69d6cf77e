"""The book import upload as a background job (core.jobs, issue 16 §4): the admin page stores the
uploaded files in the job's folder and returns at once; this runs the same all-or-nothing import
as `import_book`, reporting rows validated and written to the job's progress."""
from __future__ import annotations

import shutil
from datetime import datetime

from core.jobs import job_dir
from exchange.services import BookRefused, book_import

# The most refusal lines a job keeps for its page (the service caps its own list too).
ERRORS_SHOWN = 1000


def book_import_job(*, job, job_id: str, actor, files: list[str], allow_topup: bool = False,
                    recorded_at: str | None = None, ignored: list[str] | None = None) -> dict:
    folder = job_dir(job_id)
    try:
        sources = {name: folder / name for name in files}
        try:
            report = book_import(sources=sources, actor=actor, allow_topup=allow_topup,
                                 recorded_at=datetime.fromisoformat(recorded_at) if recorded_at else None,
                                 progress=job)
        except BookRefused as exc:
            return {"refused": True, "summary": exc.message, "errors": exc.errors[:ERRORS_SHOWN], "ignored": ignored or []}
        return {"refused": False, "report": report.lines(), "ignored": ignored or []}
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the upload holds patients' data: not kept
