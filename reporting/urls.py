"""Dashboard URLs, mounted under /admin/dashboards/ behind the admin's login."""
from django.contrib import admin
from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("plotly.min.js", views.plotly_js, name="plotly-js"),
    path("", admin.site.admin_view(views.index), name="index"),
    path("reserves/", admin.site.admin_view(views.reserves), name="reserves"),
    path("loss-ratios/", admin.site.admin_view(views.loss_ratios), name="loss-ratios"),
    path("triangle/", admin.site.admin_view(views.triangle), name="triangle"),
    path("bootstrap/", admin.site.admin_view(views.bootstrap), name="bootstrap"),
    path("solvency/", admin.site.admin_view(views.solvency), name="solvency"),
    path("roll-forward/", admin.site.admin_view(views.rollforward), name="rollforward"),
    path("roll-forward/claims/", admin.site.admin_view(views.ave_claims), name="ave-claims"),
    path("exports/", admin.site.admin_view(views.exports), name="exports"),
    path("exports/<int:run_id>/<str:fmt>/", admin.site.admin_view(views.download), name="download"),
]
