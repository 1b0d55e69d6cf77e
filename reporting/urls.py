"""Dashboard URLs, mounted under /admin/dashboards/ behind the admin's login. The dashboards
show reserves of approved runs: only users who may view reserve runs (the reserving roles and
the auditor) open them; a clerk gets 403."""
from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path

from core.roles import can_read_reserves
from reporting import views

app_name = "reporting"


def dashboard(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not can_read_reserves(request.user):
            raise PermissionDenied("the dashboards are for the reserving roles and the auditor")
        return view(request, *args, **kwargs)

    return admin.site.admin_view(guarded)


urlpatterns = [
    path("plotly.min.js", views.plotly_js, name="plotly-js"),
    path("", dashboard(views.index), name="index"),
    path("reserves/", dashboard(views.reserves), name="reserves"),
    path("loss-ratios/", dashboard(views.loss_ratios), name="loss-ratios"),
    path("premium/", dashboard(views.premium), name="premium"),
    path("triangle/", dashboard(views.triangle), name="triangle"),
    path("bootstrap/", dashboard(views.bootstrap), name="bootstrap"),
    path("solvency/", dashboard(views.solvency), name="solvency"),
    path("roll-forward/", dashboard(views.rollforward), name="rollforward"),
    path("roll-forward/claims/", dashboard(views.ave_claims), name="ave-claims"),
    path("exports/", dashboard(views.exports), name="exports"),
    path("alerts/", dashboard(views.alerts), name="alerts"),
    path("exports/<int:run_id>/start/", dashboard(views.export_start), name="export-start"),
    path("exports/<int:run_id>/<str:fmt>/", dashboard(views.download), name="download"),
]
