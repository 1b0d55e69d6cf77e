"""Admin pages of the book exchange: "Import book" (upload the CSV files or a zip; the same
all-or-nothing validation and report as the command) and "Export book" (a zip download).

The exchange app has no models of its own, so the pages are added to the admin site's URLs
(names admin:exchange_import / admin:exchange_export) and the export is also a site action."""
from __future__ import annotations

import io
import zipfile
import zlib
from datetime import datetime
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, PermissionDenied
from core.jobs import DONE, FAILED, job_new_dir, job_start, job_state
from core.roles import Operation, can
from exchange.bookio import format as fmt
from exchange.services import book_export_zip

IMPORT_PERMISSION = "policies.add_policy"
KNOWN = {spec.name for spec in fmt.ALL_FILES}
# The most one file inside an uploaded zip may unpack to (settings.BOOK_UPLOAD_MEMBER_MAX_BYTES):
# a zip bomb is refused, not inflated into memory. Larger books go through `import_book DIR`.
MEMBER_MAX_BYTES = 256 * 1024 * 1024
# What zipfile raises on a damaged archive besides BadZipFile: a bad offset ends in a negative
# seek (ValueError), a damaged deflate stream in zlib.error, an encrypted or unknown-method member
# in RuntimeError / NotImplementedError, a short read in EOFError.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, RuntimeError,
               NotImplementedError, zlib.error)


def member_max_bytes() -> int:
    return int(getattr(settings, "BOOK_UPLOAD_MEMBER_MAX_BYTES", MEMBER_MAX_BYTES))


def _member_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str) -> bytes:
    """One member, never more than the cap: the declared size is checked first, and the read
    stops one byte past the cap whatever the header claims."""
    cap = member_max_bytes()
    if info.file_size > cap:
        raise DomainError(_("%(label)s unpacks to %(file_size)s bytes, more than the %(cap)s allowed") % {"label": label, "file_size": format(info.file_size, ','), "cap": format(cap, ',')},
                          field="files")
    with archive.open(info) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise DomainError(_("%(label)s unpacks to more than the %(cap)s bytes allowed") % {"label": label, "cap": format(cap, ',')}, field="files")
    return data


def _sources(uploads) -> tuple[dict[str, bytes], list[str]]:
    """The book files among the uploads (loose CSVs or inside zips); names we do not know are
    reported rather than silently dropped."""
    sources: dict[str, bytes] = {}
    ignored: list[str] = []
    for upload in uploads:
        name = PurePosixPath(upload.name).name
        if name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(upload.read())) as archive:
                    for info in archive.infolist():
                        member = info.filename
                        base = PurePosixPath(member).name
                        if base in KNOWN:
                            sources[base] = _member_read(archive, info, f"{name}/{member}")
                        elif base and base != fmt.BOOK_JSON and not member.endswith("/"):
                            ignored.append(f"{name}/{member}")
            except _ZIP_ERRORS as exc:
                detail = str(exc) if isinstance(exc, (zipfile.BadZipFile, RuntimeError, NotImplementedError)) \
                    else _("it is damaged or truncated")
                raise DomainError(_("%(name)s is not a readable zip archive: %(detail)s") % {"name": name, "detail": detail}, field="files") from exc
        elif name in KNOWN:
            sources[name] = upload.read()
        elif name != fmt.BOOK_JSON:
            ignored.append(name)
    return sources, ignored


def import_view(request):
    """The upload is checked (files, zip, recorded at) in the request; the import itself is a
    background job (exchange.tasks.book_import_job) whose page shows rows validated and written."""
    context = {**admin.site.each_context(request), "title": _("Import book"), "known_files": sorted(KNOWN)}
    if not request.user.has_perm(IMPORT_PERMISSION):
        context["errors"] = [_("You may not import a book (needs the permission to add policies).")]
        return render(request, "admin/exchange/import.html", context, status=403)
    if request.method == "POST":
        allow_topup = request.POST.get("allow_topup") == "on"
        context["allow_topup"] = allow_topup
        try:
            recorded_at = None
            if request.POST.get("recorded_at"):
                try:
                    recorded_at = datetime.fromisoformat(request.POST["recorded_at"])
                except ValueError:
                    raise DomainError(_("recorded at: want an ISO 8601 timestamp, e.g. 2024-03-31T18:00:00+03:00"),
                                      field="recorded_at")
                if timezone.is_naive(recorded_at):
                    recorded_at = timezone.make_aware(recorded_at)
            sources, ignored = _sources(request.FILES.getlist("files"))
            context["ignored"] = ignored
            if not sources:
                raise DomainError(_("no book files uploaded: expected %(files)s") % {"files": ", ".join(sorted(KNOWN))}, field="files")
        except DomainError as exc:
            context["errors"] = [exc.message]
            return render(request, "admin/exchange/import.html", context)
        if not can(request.user, Operation.BOOK_IMPORT):  # refused now, not in the job (the service checks again)
            context["errors"] = [_("You may not import a book (the clerk's role imports the book).")]
            return render(request, "admin/exchange/import.html", context, status=403)
        job_id, folder = job_new_dir()
        for name, data in sources.items():
            (folder / name).write_bytes(data)
        job_start(kind="book_import", owner=request.user, job_id=job_id, title=_("Import book"),
                  params={"files": sorted(sources), "allow_topup": allow_topup, "ignored": ignored,
                          "recorded_at": recorded_at.isoformat() if recorded_at else None})
        state = job_state(job_id)
        if state and state["status"] in (DONE, FAILED):
            # No background here (tests, eager Celery): the job ran in the request; show its result.
            _result_context(context, state)
            return render(request, "admin/exchange/import.html", context)
        return HttpResponseRedirect(reverse("admin:core_job", args=[job_id]))
    return render(request, "admin/exchange/import.html", context)


def _result_context(context: dict, state: dict) -> None:
    result = state.get("result") or {}
    if state["status"] == FAILED:
        context["errors"] = [state["error"]]
    elif result.get("refused"):
        context["summary"], context["errors"] = result["summary"], result["errors"]
    else:
        context["report"] = result.get("report", [])
    context["ignored"] = result.get("ignored", context.get("ignored"))


def export_view(request):
    try:
        content = book_export_zip(actor=request.user)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    response = HttpResponse(content, content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="book-{stamp}.zip"'
    return response


@admin.action(description=_("Export the whole book (zip of the exchange CSV files)"))
def export_book(modeladmin, request, queryset):
    return export_view(request)


_site_get_urls = admin.site.get_urls


def _get_urls():
    return [
        path("exchange/import/", admin.site.admin_view(import_view), name="exchange_import"),
        path("exchange/export/", admin.site.admin_view(export_view), name="exchange_export"),
    ] + _site_get_urls()


admin.site.get_urls = _get_urls
admin.site.add_action(export_book, "export_book")
