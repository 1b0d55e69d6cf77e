"""API: exports of approved runs."""
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from core.api import JsonApi
from reporting.services import CONTENT_TYPES, FORMATS, report_export
from reserving.models import ReserveRun


class RunReportView(JsonApi, APIView):
    extra_refusals = ("400",)

    @extend_schema(
        parameters=[OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(FORMATS))],
        responses={(200, media.split(";")[0]): OpenApiTypes.BINARY for media in sorted(set(CONTENT_TYPES.values()))},
        description="A regulator export of an approved run (CSV or XLSX as the format says); the same run "
                    "and language always give the same bytes. summary-csv is in the request's language "
                    "(Accept-Language: ru or fa gives names for headers, segments and methods, with a UTF-8 "
                    "byte-order mark); without one, or in English, it carries the codes. 400: the run is not approved.",
    )
    def get(self, request, run_id: int, fmt: str):
        run = ReserveRun.objects.filter(pk=run_id).first()
        if run is None:
            raise NotFound(f"no reserve run {run_id}")
        export = report_export(run=run, fmt=fmt, actor=request.user, language=getattr(request, "LANGUAGE_CODE", "en"))
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
