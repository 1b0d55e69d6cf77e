"""Admin pieces every domain app uses: service-backed action pages, read-only ledgers, history
that cannot be reverted around the services, and list pages that render fast."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from core.errors import DomainError
from core.forms import form_add_domain_error
from core.paginator import EstimatedCountPaginator


class ObjectAction(NamedTuple):
    """A page of ServiceActionAdminMixin.object_actions: one service run on one object. The
    service is called as service(<object_arg>=obj, actor=the user, **the form's data); `title`
    is formatted with {obj}, `message` (what was done) with {obj} and {result}, the service's
    return value."""

    form_class: type
    title: str
    service: Callable
    message: str
    submit_label: str


class ServiceActionAdminMixin:
    """Custom admin pages that run one service with a small form: a refusal becomes a form
    error and the form comes back with what the user typed.

    `object_actions` are such pages on one object, at <pk>/<name>/ (URL name
    <app>_<model>_<name>), open to users with `object_action_perm`."""

    action_template = "admin/medmal/action_form.html"
    object_actions: dict[str, ObjectAction] = {}
    object_action_perm = ""
    object_arg = ""  # the service's keyword for the object, e.g. "policy"

    def perm_require(self, request, perm: str) -> None:
        if not request.user.has_perm(perm):
            raise PermissionDenied

    def action_view(self, request, *, form, title, call, done, obj=None, submit_label="Save",
                    context=None, back_url=None):
        """`call(cleaned_data)` runs the service; `done(result)` says what happened and where to go.
        With call=None the page only shows the form (e.g. after a preview)."""
        if call is not None and request.method == "POST" and form.is_bound and form.is_valid():
            try:
                result = call(form.cleaned_data)
            except DomainError as exc:
                form_add_domain_error(form, exc)
            else:
                message, url = done(result)
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(url)
        opts = self.model._meta
        ctx = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "app_label": opts.app_label,
            "original": obj,
            "title": title,
            "form": form,
            "submit_label": submit_label,
            "media": self.media + form.media,
            "back_url": back_url or (self.change_url(obj) if obj is not None else self.changelist_url()),
            **(context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_template, ctx)

    def object_action_urls(self) -> list:
        opts = self.model._meta
        view = self.admin_site.admin_view(self.object_action_view)
        return [path(f"<int:pk>/{name}/", view, {"name": name}, name=f"{opts.app_label}_{opts.model_name}_{name}")
                for name in self.object_actions]

    def action_object(self, pk):
        return get_object_or_404(self.model, pk=pk)

    def action_context(self, obj) -> dict:
        """What an object action's page shows beside its form."""
        return {}

    def object_action_view(self, request, pk, name: str):
        op = self.object_actions[name]
        self.perm_require(request, self.object_action_perm)
        obj = self.action_object(pk)
        return self.action_view(
            request, form=self.bound(request, op.form_class), obj=obj, title=op.title.format(obj=obj),
            call=lambda data: op.service(actor=request.user, **{self.object_arg: obj}, **data),
            done=lambda result: (op.message.format(obj=obj, result=result), self.change_url(obj)),
            submit_label=op.submit_label, context=self.action_context(obj),
        )

    def change_url(self, obj) -> str:
        opts = obj._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    def changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")

    @staticmethod
    def bound(request, form_class, **kwargs):
        return form_class(request.POST if request.method == "POST" else None, **kwargs)


class ReadOnlyLedgerMixin:
    """Append-only ledgers: viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class NoRevertHistoryMixin:
    """History is for reading: reverting a version would bypass the services."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class FastListMixin:
    """A list page's row checkbox (there is a site-wide action, the book export) written directly:
    Django renders it through the form-widget templates, ~5 ms a row, half a 100-row page's time.
    The same markup (name, value, class, aria-label) as django.contrib.admin's.

    The row count of an unfiltered list of a large table is PostgreSQL's estimate, and a filtered
    list does not count the whole table again for "(N total)" (core.paginator)."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                           helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label)
