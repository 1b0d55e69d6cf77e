"""Admin pages of the book exchange: "Import book" (upload the CSV files or a zip; the same
all-or-nothing validation and report as the command) and "Export book" (a zip download).

The exchange app has no models of its own, so the pages are added to the admin site's URLs
(names admin:exchange_import / admin:exchange_export) and the export is also a site action."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import PurePosixPath

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from core.errors import DomainError
from exchange.bookio import format as fmt
from exchange.services import BookRefused, book_export_zip, book_import

IMPORT_PERMISSION = "policies.add_policy"
KNOWN = {spec.name for spec in fmt.FILES}


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
                    for member in archive.namelist():
                        base = PurePosixPath(member).name
                        if base in KNOWN:
                            sources[base] = archive.read(member)
                        elif base and base != fmt.BOOK_JSON and not member.endswith("/"):
                            ignored.append(f"{name}/{member}")
            except zipfile.BadZipFile:
                raise DomainError(f"{name} is not a zip archive", field="files")
        elif name in KNOWN:
            sources[name] = upload.read()
        elif name != fmt.BOOK_JSON:
            ignored.append(name)
    return sources, ignored


def import_view(request):
    context = {**admin.site.each_context(request), "title": "Import book", "known_files": sorted(KNOWN)}
    if not request.user.has_perm(IMPORT_PERMISSION):
        context["errors"] = ["You may not import a book (needs the permission to add policies)."]
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
                    raise DomainError("recorded at: want an ISO 8601 timestamp, e.g. 2024-03-31T18:00:00+03:00",
                                      field="recorded_at")
                if timezone.is_naive(recorded_at):
                    recorded_at = timezone.make_aware(recorded_at)
            sources, ignored = _sources(request.FILES.getlist("files"))
            context["ignored"] = ignored
            if not sources:
                raise DomainError("no book files uploaded: expected " + ", ".join(sorted(KNOWN)), field="files")
            report = book_import(sources=sources, actor=request.user, allow_topup=allow_topup,
                                 recorded_at=recorded_at)
            context["report"] = report.lines()
        except BookRefused as exc:
            context["summary"] = exc.message
            context["errors"] = exc.errors
        except DomainError as exc:
            context["errors"] = [exc.message]
    return render(request, "admin/exchange/import.html", context)


def export_view(request):
    response = HttpResponse(book_export_zip(), content_type="application/zip")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="book-{stamp}.zip"'
    return response


@admin.action(description="Export the whole book (zip of the exchange CSV files)")
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
