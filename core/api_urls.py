"""The API of background jobs (core.jobs, issue 16 §4): a job's progress, the same JSON its page
polls. Mounted under /api/v1/ once config/urls.py lists "core" among the apps with api_urls."""
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.jobs import job_state, job_visible


class JobProgressView(APIView):
    """GET /api/v1/jobs/<id>/: status (queued, running, done, failed), stage, done of total,
    percent, error and, when done, the result. A job is its starter's (404 to anyone else)."""

    @extend_schema(request=None, responses={200: dict, 404: OpenApiResponse(description="no such job, or another user's")})
    def get(self, request, job_id: str):
        from core.views import job_progress

        state = job_state(job_id)
        if not job_visible(state, request.user):
            raise Http404("no such job")
        return Response(job_progress(state))


urlpatterns = [path("jobs/<str:job_id>/", JobProgressView.as_view(), name="api-job")]
