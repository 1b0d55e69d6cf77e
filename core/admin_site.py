"""The admin's front page: the product's name and links to the tools that are not model lists
(dashboards, book import, quotes, reserve runs). A link appears only if its page exists."""
from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (url name, label, help, the permission that opens the page): each role sees only its tools.
TOOL_LINKS = [
    ("admin:claims_claim_changelist", _("Claims"), _("report a claim, post reserves and payments, settle"), "claims.view_claim"),
    ("admin:policies_policy_changelist", _("Policies"), _("issue, endorse, cancel; premium ledger"), "policies.view_policy"),
    ("admin:reserving_reserverun_changelist", _("Reserve runs"), _("quarter-end runs: compute, review, select, submit, approve"),
     "reserving.view_reserverun"),
    ("reporting:index", _("Dashboards"), _("reserves, loss ratios, triangles, bootstrap, solvency — approved runs only"),
     "reserving.view_reserverun"),
    ("admin:exchange_import", _("Import book"), _("upload the CSV book exchange files (all-or-nothing)"), "policies.add_policy"),
    ("admin:tariff_quote", _("Quote"), _("price a policy from the tariff and issue it"), "tariff.view_tariffversion"),
]


def tool_links(user) -> list[dict]:
    links = []
    for name, label, help_text, permission in TOOL_LINKS:
        if not user.has_perm(permission):
            continue
        try:
            links.append({"url": reverse(name), "label": label, "help": help_text})
        except NoReverseMatch:
            continue
    return links


_original_index = admin.site.index


def index(request, extra_context=None):
    context = {"medmal_links": tool_links(request.user), **(extra_context or {})}
    return _original_index(request, extra_context=context)


def install() -> None:
    admin.site.site_header = _("Medmal back office")
    admin.site.site_title = _("Medmal back office")
    admin.site.index_title = _("Book of record, reserves and reports")
    admin.site.index_template = "admin/medmal_index.html"
    admin.site.index = index
    _site_get_urls = admin.site.get_urls

    def get_urls():
        from django.urls import path

        from core import views

        return [
            path("jobs/<str:job_id>/", admin.site.admin_view(views.job_page), name="core_job"),
            path("jobs/<str:job_id>/progress/", admin.site.admin_view(views.job_progress_json), name="core_job_progress"),
            path("jobs/<str:job_id>/download/", admin.site.admin_view(views.job_download), name="core_job_download"),
        ] + _site_get_urls()

    admin.site.get_urls = get_urls
