from django.urls import path

from reporting.api import RunReportView

urlpatterns = [
    path("reports/<int:run_id>/<str:fmt>/", RunReportView.as_view(), name="run-report"),
]
