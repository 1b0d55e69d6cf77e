"""Pages outside the model lists: the product's home page at "/" (the admin's "View site") and the
403 page, both inside the admin's frame (header, language switcher, navigation)."""
from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render
from django.utils.translation import gettext as _

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
