"""Pages outside the model lists: the product's home page at "/" (the admin's "View site") and the
403 page, both inside the admin's frame (header, language switcher, navigation)."""
from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.admin_site import tool_links


def home(request):
    """What the back office is and where to go: the admin (the tools this user's role opens) and the API docs."""
    context = {**admin.site.each_context(request), "title": _("Medmal back office"),
               "links": tool_links(request.user) if request.user.is_authenticated else []}
    return render(request, "home.html", context)


def permission_denied(request, exception=None):
    """settings' handler403: a refused page says so inside the admin, with the way back, instead of
    Django's bare "403 Forbidden"."""
    context = {**admin.site.each_context(request), "title": _("You may not open this page"),
               "links": tool_links(request.user) if request.user.is_authenticated else []}
    return render(request, "403.html", context, status=403)


# --------------------------------------------------------------------------- background jobs
def _job_or_404(request, job_id: str) -> dict:
    from django.http import Http404

    from core.jobs import job_state, job_visible

    state = job_state(job_id)
    if not job_visible(state, request.user):
        raise Http404(_("no such job (jobs are kept for a day, for the user who started them)"))
    return state


def job_progress(state: dict) -> dict:
    """What the page and its poll show: status, stage, done of total, percent when a total is known."""
    total = state.get("total")
    percent = min(100, round(100 * state["done"] / total)) if total else None
    if state["status"] == "done":
        percent = 100
    return {"id": state["id"], "kind": state["kind"], "title": state["title"], "status": state["status"],
            "stage": state["stage"], "done": state["done"], "total": total, "percent": percent,
            "error": state["error"], "result": state["result"] if state["status"] == "done" else None}


def job_page(request, job_id: str):
    """A background job's progress bar, updated every second until it ends, then its result."""
    state = _job_or_404(request, job_id)
    from django.urls import reverse

    labels = {"queued": pgettext("job status", "queued"), "running": pgettext("job status", "running"),
              "done": pgettext("job status", "done"), "failed": pgettext("job status", "failed")}
    job = job_progress(state)
    job["status_label"] = labels.get(job["status"], job["status"])
    context = {**admin.site.each_context(request), "title": state["title"] or _("Background job"),
               "job": job, "status_labels": labels, "poll_url": reverse("admin:core_job_progress", args=[job_id]),
               "download_url": reverse("admin:core_job_download", args=[job_id])}
    return render(request, "admin/medmal/job.html", context)


def job_progress_json(request, job_id: str):
    from django.http import JsonResponse

    response = JsonResponse(job_progress(_job_or_404(request, job_id)))
    response["Cache-Control"] = "no-store"
    return response


def job_download(request, job_id: str):
    """The file a finished job produced (a report export), to the user who started it."""
    from django.http import FileResponse, Http404

    from core.jobs import job_dir

    state = _job_or_404(request, job_id)
    result = state.get("result") or {}
    if state["status"] != "done" or not result.get("filename"):
        raise Http404(_("this job has no file (yet)"))
    path = job_dir(job_id) / result["filename"]
    if not path.is_file():
        raise Http404(_("the file has expired; start the export again"))
    return FileResponse(path.open("rb"), as_attachment=True, filename=result["filename"],
                        content_type=result.get("content_type") or "application/octet-stream")
