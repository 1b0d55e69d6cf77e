"""The machinery of test_permission_matrix.py. It finds by itself, never from core.roles.ALLOWED:

* the services: every ``<app>/services.py`` (and any other module of the apps that calls
  ``authorize(``), read with ``ast``: which ``Operation`` each function authorizes, which
  functions write (``.save(``, ``.objects.create(``, ``bulk_create``, ``audit_record(`` …) and
  whom they call;
* the API routes: every URL pattern under ``api/v1/`` of ``django.urls.get_resolver()``, its
  HTTP methods from the view (viewset actions, APIView handlers), bodies from the OpenAPI schema;
* the admin pages: every URL pattern under ``admin/`` (the ModelAdmins of ``admin.site._registry``
  with their own ``get_urls()`` pages, the site's pages, the dashboards), the changelist actions,
  and the admin's own add/change/delete permissions; bodies from the forms the pages render.

What a request did is observed, not assumed: ``Recorder`` wraps ``core.roles.authorize`` in every
module that imported it (which operations were authorized, passed or refused) and watches the
database (model signals and the row count of every table) to tell whether the request wrote.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
APPS = ("core", "segments", "fx", "reinsurance", "policies", "claims", "reserving", "exchange", "tariff", "reporting")
ROLES = ("clerk", "actuary", "approver", "auditor", "anonymous", "superuser")
STAFF_ROLES = ("clerk", "actuary", "approver", "auditor")

# Dates and values the generated bodies use: a quarter end in an open period of the sample book.
SAMPLE_DATE = "2024-06-30"
SAMPLE_DATETIME = "2024-06-30T12:00:00+03:00"
_tokens = itertools.count(1)


def token(prefix: str = "pm") -> str:
    return f"{prefix}{next(_tokens)}"


# =============================================================================== the services
WRITE_METHODS = {"save", "delete", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_HINTS = {"objects", "filter", "exclude", "all", "select_for_update", "select_related"}


@dataclass
class ServiceFunction:
    module: str
    name: str
    path: str
    lineno: int
    required: list[str]                     # keyword-only and positional parameters without a default
    ops: list[str] = field(default_factory=list)          # Operation member names it authorizes
    unreadable_ops: list[str] = field(default_factory=list)  # authorize(...) whose operation is not literal
    authorize_lines: list[int] = field(default_factory=list)
    actor_args: list[str] = field(default_factory=list)  # what each authorize(...) is given as the actor
    writes: list[tuple[int, str]] = field(default_factory=list)
    calls: list[tuple[int, str]] = field(default_factory=list)  # (line, dotted name) of what it calls

    @property
    def key(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def public(self) -> bool:
        return not self.name.startswith("_")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.lineno} {self.name}"


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _calls_authorize(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == "authorize") or (
                    isinstance(func, ast.Attribute) and func.attr == "authorize"):
                return True
    return False


def _imports(tree: ast.AST, module: str) -> dict[str, str]:
    """local name -> dotted target, from every import of the module (function-level ones too)."""
    out: dict[str, str] = {}
    package = module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:
                out[alias.asname or alias.name] = f"{base}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                out[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
    return out


def _receiver_is_queryset(node: ast.AST) -> bool:
    """Whether `x` in `x.update(...)` is a queryset chain (…objects…, …filter(…)…), not a dict."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in QUERYSET_HINTS:
                return True
            node = node.value
        else:
            return False


def _operation_of(arg: ast.AST, fn: ast.FunctionDef) -> str | None:
    """`Operation.X` -> "X"; a parameter whose default is `Operation.X` -> "X"."""
    dotted = _dotted(arg)
    if dotted and dotted.startswith("Operation.") and dotted.count(".") == 1:
        return dotted.split(".")[1]
    if isinstance(arg, ast.Name):
        args = fn.args
        positional = args.posonlyargs + args.args
        defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        default = defaults.get(arg.id)
        if default is not None:
            return _operation_of(default, fn)
    return None


def service_modules() -> list[tuple[str, Path, ast.Module]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            if path.name == "services.py" or _calls_authorize(tree):
                module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
                found.append((module, path, tree))
    return found


def scan_services() -> dict[str, ServiceFunction]:
    """Every top-level function of the service modules, keyed by dotted name (read once a run)."""
    if _SCANNED:
        return dict(_SCANNED)
    functions: dict[str, ServiceFunction] = {}
    for module, path, tree in service_modules():
        imports = _imports(tree, module)
        top = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            args = fn.args
            positional = args.posonlyargs + args.args
            required = [a.arg for a in positional[: len(positional) - len(args.defaults)]]
            required += [a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
            sf = ServiceFunction(module=module, name=fn.name, path=str(path.relative_to(ROOT)), lineno=fn.lineno,
                                 required=required)
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = _dotted(func)
                if (isinstance(func, ast.Name) and func.id == "authorize") or (
                        isinstance(func, ast.Attribute) and func.attr == "authorize"):
                    op_node = node.args[1] if len(node.args) > 1 else next(
                        (k.value for k in node.keywords if k.arg == "operation"), None)
                    actor_node = node.args[0] if node.args else next(
                        (k.value for k in node.keywords if k.arg == "actor"), None)
                    op = None if op_node is None else _operation_of(op_node, fn)
                    if op is None:
                        sf.unreadable_ops.append(ast.unparse(op_node) if op_node is not None else "?")
                    else:
                        sf.ops.append(op)
                    sf.authorize_lines.append(node.lineno)
                    sf.actor_args.append(ast.unparse(actor_node) if actor_node is not None else "?")
                    continue
                if isinstance(func, ast.Attribute) and (
                        func.attr in WRITE_METHODS or (func.attr == "update" and _receiver_is_queryset(func.value))):
                    sf.writes.append((node.lineno, ast.unparse(func)))
                if isinstance(func, ast.Name) and func.id == "audit_record":
                    sf.writes.append((node.lineno, "audit_record"))
                # what it calls, resolved to a dotted name where the module says where it comes from
                if isinstance(func, ast.Name):
                    if func.id in top:
                        sf.calls.append((node.lineno, f"{module}.{func.id}"))
                    elif func.id in imports:
                        sf.calls.append((node.lineno, imports[func.id]))
                elif name and "." in name:
                    head, rest = name.split(".", 1)
                    if head in imports:
                        sf.calls.append((node.lineno, f"{imports[head]}.{rest}"))
            functions[sf.key] = sf
    _SCANNED.update(functions)
    return functions


_SCANNED: dict[str, ServiceFunction] = {}


def closure(functions: dict[str, ServiceFunction], seed: set[str]) -> set[str]:
    """The functions in `seed` and every function that calls one of them, transitively."""
    out = set(seed)
    changed = True
    while changed:
        changed = False
        for key, fn in functions.items():
            if key not in out and any(callee in out for _, callee in fn.calls):
                out.add(key)
                changed = True
    return out


# =============================================================================== the recorder
IGNORED_APPS = {"sessions", "axes", "admin", "contenttypes"}  # sessions, lockout logs, admin's own log


@dataclass
class Observation:
    calls: list[dict] = field(default_factory=list)
    signals: set[str] = field(default_factory=set)
    tables: set[str] = field(default_factory=set)
    status: int | None = None
    location: str = ""
    error: str = ""

    @property
    def passed(self) -> list[str]:
        return [c["op"] for c in self.calls if c["passed"]]

    @property
    def refused(self) -> list[str]:
        return [c["op"] for c in self.calls if not c["passed"]]

    @property
    def wrote(self) -> bool:
        return bool(self.signals or self.tables)

    @property
    def written(self) -> set[str]:
        """The models (labels) a row of which was saved, deleted or counted differently after."""
        return self.signals | self.tables

    def actors(self) -> set:
        return {c["actor"] for c in self.calls}

    def describe(self) -> str:
        bits = [f"status {self.status}"]
        if self.passed:
            bits.append("authorized " + ",".join(dict.fromkeys(self.passed)))
        if self.refused:
            bits.append("refused " + ",".join(dict.fromkeys(self.refused)))
        if self.wrote:
            bits.append("wrote " + ",".join(sorted(self.written))[:200])
        if self.error:
            bits.append(self.error[:300])
        return "; ".join(bits)


class Recorder:
    """core.roles.authorize, wrapped wherever it was imported, and a watch on the database."""

    def __init__(self):
        self.calls: list[dict] = []
        self.patched: list[str] = []
        self._tables: dict[str, str] | None = None

    def install(self, monkeypatch) -> None:
        from core import roles

        for module in {m for m, _, _ in service_modules()} | {f"{app}.{part}" for app in APPS
                                                              for part in ("admin", "api", "views")}:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError:
                pass
        original = roles.authorize

        def authorize(actor, operation):
            entry = {"op": roles.Operation(operation).name, "actor": getattr(actor, "username", None), "passed": False}
            self.calls.append(entry)
            original(actor, operation)
            entry["passed"] = True

        for name, module in sorted(sys.modules.items()):
            if module is None or name.split(".")[0] not in APPS:
                continue
            if getattr(module, "authorize", None) is original:
                monkeypatch.setattr(module, "authorize", authorize)
                self.patched.append(name)

    def tables(self) -> dict[str, str]:
        """db table -> model label of every table but the ignored apps' (sessions, lockouts, …)."""
        if self._tables is None:
            from django.apps import apps

            names = {}
            for model in apps.get_models(include_auto_created=True):
                meta = model._meta
                if meta.proxy or not meta.managed or meta.app_label in IGNORED_APPS:
                    continue
                names[meta.db_table] = meta.label_lower
            self._tables = dict(sorted(names.items()))
        return self._tables

    def counts(self) -> dict[str, int]:
        """Rows of every table by model label, in one query."""
        from django.db import connection

        qn = connection.ops.quote_name
        tables = self.tables()
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(t)})" for t in tables))
            row = cursor.fetchone()
        return dict(zip(tables.values(), row))

    @contextmanager
    def watch(self) -> Iterator[Observation]:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        obs = Observation()
        start = len(self.calls)
        before = self.counts()

        def receiver(sender, **kwargs):
            meta = getattr(sender, "_meta", None)
            if meta is None or meta.app_label in IGNORED_APPS:
                return
            if "action" in kwargs and not str(kwargs["action"]).startswith("post_"):
                return
            obs.signals.add(meta.label_lower)

        signals = (post_save, post_delete, m2m_changed)
        for signal in signals:
            signal.connect(receiver, weak=False, dispatch_uid="permission-matrix")
        try:
            yield obs
        finally:
            for signal in signals:
                signal.disconnect(dispatch_uid="permission-matrix")
            after = self.counts()
            obs.tables = {t for t in after if after[t] != before[t]}
            obs.calls = self.calls[start:]


# =============================================================================== URL discovery
@dataclass
class Route:
    route: str               # the pattern as written, prefixes joined
    name: str | None          # the reversible name, namespaces included
    callback: Any
    kwarg_names: list[str]
    positional: int           # unnamed regex groups
    converters: dict[str, str]

    @property
    def view(self):
        """The function or bound method the URL finally runs (through admin_view, csrf, …)."""
        view = self.callback
        seen = 0
        while hasattr(view, "__wrapped__") and seen < 10:
            view = view.__wrapped__
            seen += 1
        return view


def walk_urls() -> list[Route]:
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import RegexPattern, RoutePattern

    out: list[Route] = []

    def pattern_parts(pattern):
        if isinstance(pattern, RoutePattern):
            return list(pattern.converters), 0, {k: type(v).__name__ for k, v in pattern.converters.items()}
        if isinstance(pattern, RegexPattern):
            regex = pattern.regex
            return list(regex.groupindex), regex.groups - len(regex.groupindex), {}
        return [], 0, {}

    def walk(resolver, prefix, namespaces, kwargs, positional, converters):
        for p in resolver.url_patterns:
            names, unnamed, conv = pattern_parts(p.pattern)
            if isinstance(p, URLResolver):
                ns = namespaces + ([p.namespace] if p.namespace else [])
                walk(p, prefix + str(p.pattern), ns, kwargs + names, positional + unnamed, {**converters, **conv})
            elif isinstance(p, URLPattern):
                name = ":".join(namespaces + [p.name]) if p.name else None
                out.append(Route(prefix + str(p.pattern), name, p.callback, kwargs + names, positional + unnamed,
                                 {**converters, **conv}))

    walk(get_resolver(), "", [], [], 0, {})
    return out


# =============================================================================== API routes
@dataclass
class ApiRoute:
    route: Route
    methods: list[str]
    view_class: type
    actions: dict[str, str]

    @property
    def name(self) -> str:
        return self.route.name or self.route.route


NOT_WALKED_METHODS = ("head", "options", "trace")


def api_routes() -> list[ApiRoute]:
    out = []
    for r in walk_urls():
        if not r.route.startswith("api/v1/"):
            continue
        cb = r.callback
        # (DRF adds "head" to a viewset's actions at its first GET: HEAD, OPTIONS, TRACE are GET's or DRF's)
        actions = {m: a for m, a in (getattr(cb, "actions", None) or {}).items() if m not in NOT_WALKED_METHODS}
        cls = getattr(cb, "cls", None) or getattr(cb, "view_class", None)
        if cls is None:  # a plain function view: the catch-all JSON 404 (core.api.api_not_found), no operation
            continue
        if actions:
            methods = sorted(actions)
        else:
            methods = sorted(m for m in cls.http_method_names if m not in NOT_WALKED_METHODS and hasattr(cls, m))
        out.append(ApiRoute(r, methods, cls, actions))
    return out


def viewset_model(api: ApiRoute, method: str):
    cls = api.view_class
    if getattr(cls, "queryset", None) is not None:
        return cls.queryset.model
    view = cls()
    view.request, view.kwargs, view.format_kwarg, view.args = None, {}, None, ()
    view.action = api.actions.get(method)
    try:
        return view.get_queryset().model
    except Exception:  # noqa: BLE001 - an APIView without a queryset
        return None


class OpenApi:
    """Request bodies of the API from its own OpenAPI schema (drf-spectacular)."""

    def __init__(self):
        from drf_spectacular.generators import SchemaGenerator

        self.schema = SchemaGenerator().get_schema(request=None, public=True)
        self.components = self.schema["components"]["schemas"]
        self.paths = []
        for path, ops in self.schema["paths"].items():
            parts = re.split(r"\{[^}]+\}", path)
            regex = re.compile("[^/]+".join(re.escape(p) for p in parts))
            self.paths.append((sum(map(len, parts)), regex, path, ops))
        self.paths.sort(key=lambda x: -x[0])

    def operation(self, url: str, method: str) -> dict | None:
        for _, regex, _path, ops in self.paths:
            if regex.fullmatch(url) and method in ops:
                return ops[method]
        return None

    def resolve(self, node: dict) -> dict:
        for _ in range(10):
            if "$ref" in node:
                node = self.components[node["$ref"].split("/")[-1]]
            elif "allOf" in node and len(node["allOf"]) == 1:
                node = {**{k: v for k, v in node.items() if k != "allOf"}, **self.resolve(node["allOf"][0])}
            elif "oneOf" in node:
                options = [self.resolve(o) for o in node["oneOf"]]
                node = next((o for o in options if o.get("enum") not in ([None], [""], [None, ""])), options[0])
            else:
                return node
        return node

    def request_schema(self, url: str, method: str) -> dict | None:
        op = self.operation(url, method)
        if not op or "requestBody" not in op:
            return None
        content = op["requestBody"]["content"]
        media = content.get("application/json") or next(iter(content.values()))
        return self.resolve(media["schema"])

    def value(self, name: str, node: dict, samples: dict):
        node = self.resolve(node)
        if name in samples:
            return samples[name]()
        if "enum" in node:
            return next(v for v in node["enum"] if v not in (None, ""))
        kind, fmt = node.get("type"), node.get("format")
        if kind == "string":
            if fmt == "date":
                return SAMPLE_DATE
            if fmt == "date-time":
                return SAMPLE_DATETIME
            if fmt == "decimal":
                return "100.00"
            return token()[: node.get("maxLength", 40)]
        if kind == "integer":
            return max(1, node.get("minimum", 1))
        if kind == "number":
            return max(1.0, node.get("minimum", 1.0))
        if kind == "boolean":
            return False
        if kind == "array":
            return []
        return {}

    def query(self, url: str, method: str, samples: dict) -> str:
        """The required query parameters of an operation, typed as the schema says."""
        from urllib.parse import urlencode

        op = self.operation(url, method) or {}
        params = {p["name"]: self.value(p["name"], p.get("schema", {}), samples)
                  for p in op.get("parameters", []) if p.get("in") == "query" and p.get("required")}
        return f"?{urlencode(params)}" if params else ""

    def body(self, url: str, method: str, samples: dict) -> tuple[dict | None, dict[str, list]]:
        """A body with every required field typed as the schema says, and the values of each enum
        field (the variants a probe tries: a field such as a posting's `kind` may choose the
        operation)."""
        schema = self.request_schema(url, method)
        if schema is None:
            return None, {}
        props = schema.get("properties", {})
        body = {name: self.value(name, props[name], samples) for name in schema.get("required", [])}
        enums = {}
        for name, node in props.items():
            node = self.resolve(node)
            values = [v for v in node.get("enum", []) if v not in (None, "")]
            if len(values) > 1 and name not in samples:
                enums[name] = values
        return body, enums


# =============================================================================== admin pages
# Admin pages that are the site's plumbing, not domain pages, walked only by GET (and not by POST):
SITE_PLUMBING = {
    "admin:core_job": "a background job's page: its starter's only (reads its state)",
    "admin:core_job_progress": "a background job's progress, JSON (reads)",
    "admin:core_job_download": "the file a finished job made, to its starter (the export was recorded when made)",
    "admin:login": "signs a user in (axes counts failures)",
    "admin:logout": "signs the user out",
    "admin:password_change": "a user's own password: not a domain operation",
    "admin:password_change_done": "a confirmation page",
    "admin:jsi18n": "the admin's JavaScript catalogue",
    "admin:autocomplete": "autocomplete lookups (reads)",
    "admin:view_on_site": "a redirect to an object's public page",
    "admin:app_list": "an app's index (reads)",
    "admin:index": "the front page (reads)",
    "reporting:plotly-js": "plotly.js from the installed package (a static asset, public)",
}
PUBLIC_PAGES = {"reporting:plotly-js"}
THIRD_PARTY_APPS = {"auth", "django_celery_beat", "axes"}


@dataclass
class AdminPage:
    route: Route
    model_admin: Any
    view_name: str

    @property
    def name(self) -> str:
        return self.route.name or self.route.route

    @property
    def model(self):
        return None if self.model_admin is None else self.model_admin.model

    @property
    def app_label(self) -> str | None:
        return None if self.model is None else self.model._meta.app_label


def admin_pages() -> list[AdminPage]:
    from django.contrib import admin

    registry = {f"admin/{m._meta.app_label}/{m._meta.model_name}/": ma for m, ma in admin.site._registry.items()}
    pages = []
    for r in walk_urls():
        if not r.route.startswith("admin/"):
            continue
        view = r.view
        owner = getattr(r.callback, "model_admin", None) or getattr(view, "__self__", None)
        model_admin = next((ma for prefix, ma in registry.items() if r.route.startswith(prefix)), None)
        if model_admin is None and isinstance(owner, admin.ModelAdmin):
            model_admin = owner
        view_name = getattr(view, "__name__", type(view).__name__)
        if getattr(r.callback, "view_class", None) is not None:
            view_name = r.callback.view_class.__name__
        pages.append(AdminPage(r, model_admin, view_name))
    return pages


def project_defined(cls, attr: str) -> bool:
    """Whether `attr` of a ModelAdmin class comes from this project (an override), not Django or a package."""
    for klass in cls.__mro__:
        if attr in klass.__dict__:
            return klass.__module__.split(".")[0] in APPS
    return False


def literal_choices(view, kwarg: str) -> list[str]:
    """The values a view compares a string kwarg with (`verb == "approve"`): the pages behind it."""
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return []
    return list(dict.fromkeys(re.findall(rf'\b{kwarg}\s*==\s*"([^"]+)"', source)))


# ---------------------------------------------------------------- forms the pages render
def _post_value(value, field):
    from django import forms
    from django.db.models import Model

    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [str(getattr(v, "pk", v)) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    return None if value is None else str(value)


def _field_sample(name: str, field, samples: dict):
    from django import forms

    if name in samples:
        return samples[name]()
    if isinstance(field, (forms.ModelChoiceField, forms.ChoiceField)):
        for value, _label in field.choices:
            value = getattr(value, "value", value)
            if value not in (None, ""):
                multiple = isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField))
                return [value] if multiple else value
        return None
    if isinstance(field, forms.DateTimeField):
        return "2024-06-30 12:00:00"
    if isinstance(field, forms.DateField):
        return SAMPLE_DATE
    if isinstance(field, (forms.DecimalField, forms.FloatField, forms.IntegerField)):
        low = field.min_value if getattr(field, "min_value", None) is not None else 1
        return str(max(1, low)) if isinstance(field, forms.IntegerField) else str(max(Decimal(1), Decimal(str(low))))
    if isinstance(field, forms.JSONField):
        return '{"_note": "permission matrix probe"}'
    if isinstance(field, forms.EmailField):
        return "probe@example.test"
    if isinstance(field, forms.BooleanField):
        return "on"
    if isinstance(field, forms.FileField):
        return None
    return token()[: getattr(field, "max_length", None) or 40]


def form_data(form, samples: dict) -> dict:
    data = {}
    for name, fld in form.fields.items():
        key = form.add_prefix(name)
        value = form[name].value()
        empty = value in (None, "", [], (), {}) or (isinstance(value, str) and value.strip() in ("null", ""))
        if empty:
            if not fld.required and name not in samples:
                continue
            value = _field_sample(name, fld, samples)
        posted = _post_value(value, fld)
        if posted is not None:
            data[key] = posted
    return data


def one_optional_field(form) -> dict:
    """A page built as `Form(request.POST or None)` treats an empty POST as no POST at all: when
    every field is optional and empty, the walk fills one free-text field (a note, preferably)."""
    from django import forms

    texts = [n for n, f in form.fields.items() if type(f) is forms.CharField]
    name = next((n for n in texts if n in ("note", "comment", "description")), texts[0] if texts else None)
    return {} if name is None else {form.add_prefix(name): f"permission matrix {token()}"}


def forms_in(response) -> list:
    """The forms (and formsets' management forms and rows) a rendered admin page holds."""
    from django import forms
    from django.contrib.admin.helpers import AdminForm, InlineAdminFormSet
    from django.forms.formsets import BaseFormSet

    found, seen = [], set()
    contexts = response.context or []
    if not isinstance(contexts, list) and hasattr(contexts, "dicts"):
        contexts = [contexts]
    for ctx in contexts:
        for d in getattr(ctx, "dicts", [ctx]):
            if not isinstance(d, dict):
                continue
            for key, value in d.items():
                items = []
                if isinstance(value, AdminForm):
                    items = [value.form]
                elif isinstance(value, forms.BaseForm):
                    items = [value]
                elif key == "inline_admin_formsets" and isinstance(value, (list, tuple)):
                    for inline in value:
                        fs = inline.formset if isinstance(inline, InlineAdminFormSet) else inline
                        items += [fs.management_form] + list(fs.forms)
                elif isinstance(value, BaseFormSet):
                    items = [value.management_form] + list(value.forms)
                for form in items:
                    ident = (type(form).__name__, form.prefix)
                    if ident not in seen and key != "reject_form":
                        seen.add(ident)
                        found.append(form)
    return found


def form_errors(response) -> dict:
    errors = {}
    for form in forms_in(response):
        if form.is_bound and form.errors:
            errors.update({k: list(v) for k, v in form.errors.items()})
    return errors


_SUBMIT = re.compile(r'<input[^>]*type="submit"[^>]*name="([^"]+)"|<button[^>]*name="([^"]+)"[^>]*type="submit"')


def submit_names(response) -> list[str]:
    try:
        html = response.content.decode()
    except (AttributeError, UnicodeDecodeError):
        return []
    names = [a or b for a, b in _SUBMIT.findall(html)]
    return [n for n in dict.fromkeys(names) if "preview" not in n]


# =============================================================================== the world
class World:
    """The role users and one small book: a policy with its premium row, a claim with a case
    reserve, the seeded tariff, regimes and reference data, a diyeh year, an a-priori loss ratio,
    a capital entry, the beat schedules; reserve runs are made fresh for each page that needs one
    (so that nobody's earlier request on a shared run makes them its preparer)."""

    SEGMENT, CURRENCY = "individual_occurrence", "RUB"

    def __init__(self):
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from core.roles import system_actor
        from core.services import demo_users_ensure, period_get_or_create
        from reporting.models import AccountingGroup, DashboardSetting, GLAccountMapping
        from reporting.services import capital_entry_save
        from reserving import services as reserving
        from tariff.models import DiyehAmount, TariffProfession, TariffVersion
        from tests.factories import ClaimFactory, PolicyFactory

        User = get_user_model()
        self.system = system_actor()
        reserving.ensure_roles()
        demo_users_ensure(actor=self.system)  # the role groups with core.roles.role_permissions(), as deployed
        self.users = {role: User.objects.get(username=role) for role in STAFF_ROLES}
        self.users["superuser"] = User.objects.get(username="admin")
        self.users["anonymous"] = None
        # The probe: another superuser who finds what each request authorizes (never a role cell).
        self.probe = User.objects.create_superuser("matrix-probe", "probe@example.test", "pw-for-tests")
        if not TariffVersion.objects.exists():  # a transactional test elsewhere may have flushed the seed
            call_command("loaddata", "ir_paramed_1399", verbosity=0)
        reserving.regimes_ensure_seeded()
        self.policy = PolicyFactory(policy_number="PM-1")
        self.claim = ClaimFactory(policy=self.policy, claim_number="CM-1",
                                  initial_reserve={"indemnity": Decimal("100000.00")})
        self.diyeh = DiyehAmount.objects.order_by("-jalali_year").first()
        self.profession = TariffProfession.objects.order_by("pk").first().code
        reserving.apriori_loss_ratio_save(segment=self.SEGMENT, currency=self.CURRENCY, underwriting_year=2024,
                                          loss_ratio="0.7", source="pricing", actor=self.system)
        capital_entry_save(period="2024Q1", currency=self.CURRENCY, own_funds=Decimal("1000000"), actor=self.system)
        period_get_or_create(label="2023Q4")
        reserving.schedules_install(actor=self.system)
        if not AccountingGroup.objects.exists():
            AccountingGroup.objects.create(code="PM", name_ru="x", name_en="x")
        from segments.services import segments_ensure_seeded

        segments_ensure_seeded()  # the seeded segments, as other seeded reference data above
        from fx.models import OfficialRate
        from reinsurance.services import treaty_save

        if not OfficialRate.objects.exists():
            OfficialRate.objects.create(rate_date=date(2024, 6, 30), currency="IRR", rate=Decimal("0.0019"))
        treaty_save(actor=self.system, code="PM-QS", kind="quota_share", segment=self.SEGMENT,
                    underwriting_year=2024, ceded_percent="30")
        if not GLAccountMapping.objects.exists():
            GLAccountMapping.objects.create(reserve_type=GLAccountMapping._meta.get_field("reserve_type").choices[0][0],
                                            reserve_account="1", release_account="2", charge_account="3")
        if not DashboardSetting.objects.exists():
            DashboardSetting.objects.create()
        self._quarters = (f"{y}Q{q}" for y in range(2030, 2100) for q in range(1, 5))  # one per capital entry
        self._runs: dict[str, Any] = {}
        self._fresh: dict[tuple[str, str], Any] = {}
        self._checks: dict[int, Any] = {}

    # ------------------------------------------------------------ samples
    def fresh_run(self, key: str):
        """A draft run of its own for one page or route (created by the system actor)."""
        from reserving import services as reserving

        if key not in self._runs:
            self._runs[key] = reserving.run_create(valuation_date=date(2024, 6, 30), actor=self.system)
        return self._runs[key]

    def check_for(self, run_id: int):
        from reserving.models import RunDataCheck

        if run_id not in self._checks:
            self._checks[run_id] = RunDataCheck.objects.create(
                run_id=run_id, severity=RunDataCheck.Severity.WARNING, code="matrix_probe", message="a probe",
                rows=[], row_count=0)
        return self._checks[run_id]

    def sample(self, model, key: str):
        from reserving.models import ReserveRun

        if model is ReserveRun:
            return self.fresh_run(key)
        label = model._meta.label_lower
        if label in FRESH_SAMPLES:  # one of its own for each page: a decision leaves nothing to decide
            if (label, key) not in self._fresh:
                self._fresh[label, key] = SAMPLE_MAKERS[label](self)
            return self._fresh[label, key]
        found = model._default_manager.order_by("pk").first()
        maker = SAMPLE_MAKERS.get(model._meta.label_lower)
        if found is None and maker is not None:
            found = maker(self)
        return found

    def handler(self):
        """A clerk with a small reserve and payment authority in RUB (claims D-36), not one of the
        role users (their requests must not turn into pending changes)."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        user, created = get_user_model().objects.get_or_create(username="matrix-handler", defaults={"is_staff": True})
        if created:
            user.groups.add(Group.objects.get(name="clerk"))
        return user

    def field_samples(self) -> dict:
        """Values by field name where a typed token would not reach the service (a view looks the
        policy up before it calls claim_report) or would only make the refusal duller."""
        return {
            "currency": lambda: self.CURRENCY,
            "segment": lambda: self.SEGMENT,
            "profession": lambda: self.profession,
            "policy_number": lambda: self.policy.policy_number,
            "label": lambda: "2024Q2",
            "period": lambda: next(self._quarters),
            "regime": lambda: "ru",
            "reason": lambda: "permission matrix probe",
            "cover": lambda: "1000000000",
            "username": lambda: self.handler().username,
        }


def _handler_authority(world: World):
    from claims import services

    return services.handler_authority_set(user=world.handler(), currency=world.CURRENCY, reserve_limit="1000.00",
                                          payment_limit="1000.00", actor=world.system)


def _pending_change(world: World):
    """A reserve increase above the handler's authority, on a claim of its own (the walk closes
    and settles the book's claim): kept waiting for a decision."""
    from claims import services
    from claims.models import HandlerAuthority
    from tests.factories import ClaimFactory

    if not HandlerAuthority.objects.filter(user=world.handler()).exists():
        _handler_authority(world)
    claim = ClaimFactory(policy=world.policy, claim_number=token("CM-PENDING-"))
    return services.claim_reserve_change(claim=claim, cost_type="indemnity", amount="500000.00",
                                         accounting_date=date(2024, 6, 30), actor=world.handler())


# Samples of models the book above does not hold, made through their services when a page or route
# first needs one (label -> maker). A new model whose pages need an object gets its maker here.
SAMPLE_MAKERS = {
    "claims.handlerauthority": _handler_authority,
    "claims.pendingclaimchange": _pending_change,
}
# Samples whose state a request changes for good (decided, approved): each page gets its own,
# as each reserve-run page gets its own run.
FRESH_SAMPLES = {"claims.pendingclaimchange"}


# =============================================================================== sending requests
def client_for(role: str, world: World, kind: str):
    """An APIClient (kind "api") or a Django test Client (kind "admin") signed in as the role's user."""
    from django.test import Client
    from rest_framework.test import APIClient

    user = world.probe if role == "probe" else world.users[role]
    if kind == "api":
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
    else:
        client = Client()
        if user is not None:
            client.force_login(user)
    return client


def send(recorder: Recorder, client, method: str, url: str, data=None, *, json_body: bool) -> tuple[Any, Observation]:
    response = None
    with recorder.watch() as obs:
        try:
            call = getattr(client, method)
            if method == "get":
                response = call(url)
            elif json_body:
                response = call(url, data or {}, format="json")
            else:
                response = call(url, data or {})
            obs.status = response.status_code
            obs.location = response.get("Location", "") if hasattr(response, "get") else ""
        except Exception as exc:  # noqa: BLE001 - a 500 is a finding, the walk goes on
            obs.status = 500
            obs.error = f"{type(exc).__name__}: {exc}"
    return response, obs


class Unresolvable(LookupError):
    """A URL keyword the walk cannot fill: a new kind of page needs a sample here."""


def kwarg_value(name: str, kw: dict, key: str, model, world: World, lookup_field: str = "pk", view=None):
    from claims.models import Claim
    from policies.models import Policy
    from reporting.services import FORMATS

    if name in ("pk", "object_id", "id") or name == lookup_field or (
            model is not None and name == getattr(view, "lookup_url_kwarg", None)):
        obj = world.sample(model, key) if model is not None else None
        if obj is None:
            raise Unresolvable(f"no sample object of {model} for <{name}>")
        return getattr(obj, lookup_field)
    if name == "check_id":
        return world.check_for(int(kw.get("pk") or kw.get("run_id"))).pk
    if name == "run_id":
        return world.fresh_run(key).pk
    if name == "row_pk":
        parent = model._default_manager.get(pk=kw["pk"])
        rows = {Policy: "premium_transactions", Claim: "transactions"}.get(model)
        if rows is None:
            raise Unresolvable(f"no ledger rows known for {model}")
        return getattr(parent, rows).order_by("pk").first().pk
    if name == "segment":
        return world.SEGMENT
    if name == "currency":
        return world.CURRENCY
    if name == "jalali_year":
        return world.diyeh.jalali_year
    if name == "fmt":
        return next(iter(FORMATS))
    if name == "job_id":  # a finished background job of the probe's (a job is its starter's only)
        import time

        from core import jobs

        state = {"id": f"matrix-{key}".replace(" ", "-"), "kind": "export", "owner": world.probe.pk, "title": "",
                 "params": {}, "language": "en", "status": jobs.DONE, "stage": "", "done": 1, "total": 1,
                 "result": {}, "error": "", "created": time.time()}
        jobs._state_save(state)  # noqa: SLF001 - a job in its finished state, without running one
        return state["id"]
    raise Unresolvable(f"<{name}>")


@dataclass
class Endpoint:
    """One request shape (URL × method × body variant) and what it did for the probe and each role."""

    surface: str                      # "api" or "admin"
    method: str
    name: str
    url: str
    variant: str = ""
    ops: tuple[str, ...] = ()          # what the probe's request authorized (and passed)
    probe: Observation | None = None
    cells: dict[str, Observation] = field(default_factory=dict)
    kind: str = ""                    # "operation", "read", "refused", "unreached", "writes-without-operation", "error"
    note: str = ""
    declared: str = ""                # the operation the view declares for it (`write_operations`), if any

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.name}" + (f" [{self.variant}]" if self.variant else "")

    def classify(self) -> None:
        obs = self.probe
        self.ops = tuple(dict.fromkeys(obs.passed))
        if obs.status and obs.status >= 500:
            self.kind, self.note = "error", obs.describe()
        elif self.ops:
            self.kind = "operation"
        elif obs.wrote:
            self.kind, self.note = "writes-without-operation", obs.describe()
        elif obs.status in (200, 201, 204, 302) and not self.note:
            self.kind = "read"
        elif obs.status == 403 and not self.note:
            self.kind = "refused"  # refused even to a superuser, before any service: nobody may
        else:
            self.kind = "unreached"
            self.note = self.note or obs.describe()


def walk_api(world: World, recorder: Recorder) -> dict:
    """Every API route × method: the probe finds the operations (trying each enum value of the
    body as a variant: a posting's `kind` chooses reserve, payment or recovery); each variant is
    then sent as every role (a GET that authorizes nothing as anonymous only). Returns the
    endpoints, the GET reads, the URLs it could not build and the number of routes discovered."""
    from django.urls import reverse

    openapi = OpenApi()
    samples = world.field_samples()
    probe = client_for("probe", world, "api")
    clients = {role: client_for(role, world, "api") for role in ROLES}
    endpoints, reads, unresolvable = [], [], []
    routes = api_routes()
    for api in routes:
        for method in api.methods:
            key = f"api {method} {api.name}"
            model = viewset_model(api, method) if api.actions else None
            lookup = getattr(api.view_class, "lookup_field", "pk")
            kw: dict = {}
            try:
                for name in api.route.kwarg_names:
                    kw[name] = str(kwarg_value(name, kw, key, model, world, lookup, api.view_class))
            except Unresolvable as exc:
                unresolvable.append(f"{method.upper()} {api.name}: {exc}")
                continue
            url = reverse(api.route.name, kwargs=kw)
            if method == "get":
                base, enums = None, {}
                url += openapi.query(url, method, samples)
            else:
                base, enums = openapi.body(url, method, samples)
            variants = [("", {})] + [(f"{f}={v}", {f: v}) for f, values in enums.items() for v in values
                                     if base is None or v != base.get(f)]

            def body(change, _url=url, _method=method):
                if _method == "get":
                    return None
                fresh, _ = openapi.body(_url, _method, samples)
                return {**(fresh or {}), **change}

            # Variants are told apart by the operation they authorize first (the route's own); what
            # they authorize after it are its steps (issuing from a quote creates the policy), and
            # the variant that went furthest is kept.
            found: dict[str, tuple[Endpoint, dict]] = {}
            first = None
            declared = getattr(api.view_class, "write_operations", {}).get(api.actions.get(method))
            for label, change in variants:
                ep = Endpoint("api", method, api.name, url, label, declared=getattr(declared, "name", "") or "")
                _, ep.probe = send(recorder, probe, method, url, body(change), json_body=True)
                ep.classify()
                first = first or ep
                if ep.kind == "operation" and (ep.ops[0] not in found or len(ep.ops) > len(found[ep.ops[0]][0].ops)):
                    found[ep.ops[0]] = (ep, change)
            chosen = list(found.values()) or [(first, {})]
            for ep, change in chosen:
                for role in (ROLES if ep.kind == "operation" or method != "get" else ("anonymous",)):
                    _, ep.cells[role] = send(recorder, clients[role], method, url, body(change), json_body=True)
                (endpoints if method != "get" or ep.kind == "operation" else reads).append(ep)
    return {"endpoints": endpoints, "reads": reads, "unresolvable": unresolvable, "discovered": len(routes)}


@dataclass
class GetCell:
    page: str
    role: str
    model_perm: bool | None   # the role's user holds view or change permission on the page's model
    obs: Observation
    standard: bool            # changelist, change or history page: a holder of the permission sees it


def _admin_urls(page: AdminPage, world: World, key: str) -> list[tuple[str, str]]:
    """(variant, URL) of a page: one per value of a `verb`-like string kwarg the view compares."""
    from django.urls import reverse

    route = page.route
    if route.positional:  # simple_history's ^(obj)/history/(version)/$
        obj = world.sample(page.model, key)
        version = obj.history.order_by("history_id").first() if obj is not None and hasattr(obj, "history") else None
        if version is None:
            raise Unresolvable("no history version")
        return [("", reverse(route.name, args=[obj.pk, version.history_id]))]
    expand = {}
    for name in route.kwarg_names:
        if route.converters.get(name) == "StringConverter":
            values = literal_choices(route.view, name)
            if values:
                expand[name] = values
    out = []
    combos = [dict(zip(expand, vals)) for vals in itertools.product(*expand.values())] or [{}]
    for combo in combos:
        variant = ",".join(f"{k}={v}" for k, v in combo.items())
        kw: dict = {}
        for name in route.kwarg_names:
            kw[name] = combo[name] if name in combo else kwarg_value(name, kw, f"{key} {variant}", page.model, world)
        out.append((variant, reverse(route.name, kwargs=kw)))
    return out


def admin_page_kind(page: AdminPage) -> tuple[str, str]:
    """How the walk treats a page: ("skip", why), ("get", why: GET only) or ("post", ""): GET and POST."""
    ma = page.model_admin
    name, view = page.route.name, page.view_name
    if name is None or view in ("RedirectView", "catch_all_view"):
        return "skip", "no page of its own (a redirect or the catch-all)"
    if name in SITE_PLUMBING:
        return "skip", SITE_PLUMBING[name]
    if page.app_label in THIRD_PARTY_APPS:
        return ("get", "third-party model list") if view == "changelist_view" else (
            "skip", "third-party model pages: their writes are the plain-write inference's")
    if view == "changelist_view":
        return "get", "a list: its writes are the changelist actions, walked separately"
    if view in ("history_view", "delete_view"):
        return "skip", ("a history list, behind the change page's view permission" if view == "history_view"
                        else "Django's delete confirmation: deletions are the plain-write inference's")
    cls = type(ma) if ma is not None else None
    if view == "add_view" and not (project_defined(cls, "add_view") or project_defined(cls, "save_model")):
        return "get", "the standard add form (plain ModelAdmin save): the plain-write inference's"
    if view == "change_view" and not any(project_defined(cls, a) for a in ("change_view", "changeform_view",
                                                                           "save_model")):
        return "get", "the standard change form (plain ModelAdmin save): the plain-write inference's"
    return "post", ""


def walk_admin(world: World, recorder: Recorder, overrides: dict) -> dict:
    """GET every admin page as every role; POST every page that may run a service (custom pages,
    service-backed add and change forms) as the probe, with a body filled from the forms the page
    renders (a second and third round add the forms and named submit buttons the answer shows:
    the quote page offers "issue" only after a quote), then as every role; and every changelist
    action. `overrides[page name]()` adds what no form declares (an uploaded book file)."""
    samples = world.field_samples()
    probe = client_for("probe", world, "admin")
    clients = {role: client_for(role, world, "admin") for role in ROLES}
    out = {"endpoints": [], "gets": [], "skipped": [], "unresolvable": [], "get_only": []}
    pages = admin_pages()
    out["discovered"] = len(pages)
    for page in pages:
        kind, why = admin_page_kind(page)
        if kind == "skip":
            out["skipped"].append((page.name, why))
            continue
        key = f"admin {page.name}"
        try:
            urls = _admin_urls(page, world, key)
        except Unresolvable as exc:
            out["unresolvable"].append(f"{page.name}: {exc}")
            continue
        model = page.model
        standard = page.view_name in ("changelist_view", "change_view", "history_view")
        for variant, url in urls:
            for role in ROLES:
                user = world.users[role]
                perm = None
                if model is not None and user is not None:
                    meta = model._meta
                    perm = (user.has_perm(f"{meta.app_label}.view_{meta.model_name}")
                            or user.has_perm(f"{meta.app_label}.change_{meta.model_name}"))
                _, obs = send(recorder, clients[role], "get", url, json_body=False)
                out["gets"].append(GetCell(f"{page.name}" + (f" [{variant}]" if variant else ""), role, perm, obs,
                                           standard))
            if kind == "get":
                out["get_only"].append((page.name + (f" [{variant}]" if variant else ""), why))
                continue
            extra = overrides.get(page.name, lambda: {})
            response, _ = send(recorder, probe, "get", url, json_body=False)
            forms = forms_in(response) if response is not None and response.status_code == 200 else []
            seen = {(type(f).__name__, f.prefix) for f in forms}
            submits: list[str] = []

            def body(_forms=forms, _submits=submits, _extra=extra):
                data = {}
                for form in _forms:
                    data.update(form_data(form, samples))
                if _forms and not data:
                    data.update(one_optional_field(_forms[0]))
                data.update({s: "1" for s in _submits})
                data.update(_extra())
                return data

            ep = Endpoint("admin", "post", page.name, url, variant)
            for _round in range(3):
                response, ep.probe = send(recorder, probe, "post", url, body(), json_body=False)
                if ep.probe.passed or ep.probe.wrote or (ep.probe.status or 0) >= 500 or response is None:
                    break
                new = [f for f in forms_in(response) if (type(f).__name__, f.prefix) not in seen]
                more = [s for s in submit_names(response) if s not in submits]
                if not new and not more:
                    break
                for f in new:
                    seen.add((type(f).__name__, f.prefix))
                forms.extend(new)
                submits.extend(more)
            errors = form_errors(response) if response is not None and not ep.probe.passed else {}
            if errors:
                ep.note = f"the form did not validate: {errors}"
            ep.classify()
            for role in ROLES:
                _, ep.cells[role] = send(recorder, clients[role], "post", url, body(), json_body=False)
            out["endpoints"].append(ep)
    out["endpoints"] += walk_admin_actions(world, recorder, probe, clients)
    return out


def walk_admin_actions(world: World, recorder: Recorder, probe, clients) -> list[Endpoint]:
    """Every changelist action but Django's delete_selected (a plain delete, the inference's),
    each site-wide action once (on the first changelist that offers it)."""
    from django.contrib import admin
    from django.test import RequestFactory
    from django.urls import reverse

    done, out = set(), []
    registry = sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label_lower)
    registry.sort(key=lambda kv: kv[0]._meta.app_label in THIRD_PARTY_APPS)
    for model, ma in registry:
        request = RequestFactory().get("/")
        request.user = world.probe
        for name, (func, _name, _desc) in ma.get_actions(request).items():
            if name == "delete_selected" or func in done:
                continue
            done.add(func)
            sample = world.sample(model, f"action {name}")
            if sample is None:
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

            def body(_name=name, _pk=sample.pk, _model=model):
                if _model._meta.label_lower in FRESH_SAMPLES:  # each request acts on one still undecided
                    _pk = world.sample(_model, f"action {_name} {token()}").pk
                return {"action": _name, "_selected_action": [str(_pk)], "index": "0"}

            ep = Endpoint("admin", "post", f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist",
                          url, f"action={name}")
            _, ep.probe = send(recorder, probe, "post", url, body(), json_body=False)
            ep.classify()
            for role in ROLES:
                _, ep.cells[role] = send(recorder, clients[role], "post", url, body(), json_body=False)
            out.append(ep)
    return out


def plain_admin_writes(world: World) -> list[tuple[str, str, str]]:
    """(model, how, role) for every write the admin lets a role make through Django's own
    ModelAdmin code (add, change, inline rows, delete), which calls no service: no authorize,
    no audit row. Read from each ModelAdmin's own has_*_permission and which of its save and
    delete paths the project overrides."""
    from django.contrib import admin
    from django.test import RequestFactory

    out = []
    for model, ma in sorted(admin.site._registry.items(), key=lambda kv: kv[0]._meta.label_lower):
        cls = type(ma)
        obj = world.sample(model, "plain-write inference")
        add_service = project_defined(cls, "add_view") or project_defined(cls, "save_model")
        change_service = any(project_defined(cls, a) for a in ("change_view", "changeform_view", "save_model"))
        delete_service = any(project_defined(cls, a) for a in ("delete_view", "delete_model", "delete_queryset"))
        for role in ROLES:
            user = world.users[role]
            if user is None:
                continue
            request = RequestFactory().get("/")
            request.user = user
            label = model._meta.label_lower
            if not add_service and ma.has_add_permission(request):
                out.append((label, "add", role))
            if ma.has_change_permission(request, obj):
                if not change_service:
                    out.append((label, "change", role))
                # inline rows saved through a service (save_formset / save_related overridden) are not plain
                if not any(project_defined(cls, a) for a in ("change_view", "save_formset", "save_related")):
                    for inline in ma.get_inline_instances(request, obj):
                        if (inline.has_add_permission(request, obj) or inline.has_change_permission(request, obj)
                                or inline.has_delete_permission(request, obj)):
                            out.append((label, f"inline {inline.model._meta.label_lower}", role))
            if not delete_service and ma.has_delete_permission(request, obj):
                out.append((label, "delete", role))
    return out


# =============================================================================== the README table
def readme_table() -> str:
    """README "### The permission matrix": core.roles.ALLOWED as a Markdown table (operation ×
    role; the superuser passes every role check, anonymous is refused everything)."""
    from core.roles import ALLOWED, Operation

    roles = STAFF_ROLES
    rows = ["| operation | " + " | ".join(roles) + " | superuser |", "|---|" + ":---:|" * (len(roles) + 1)]
    rows += [f"| `{op.value}` | " + " | ".join("✓" if role in ALLOWED[op] else "" for role in roles) + " | ✓ |"
             for op in Operation]
    return "\n".join(rows)


if __name__ == "__main__":  # .venv/bin/python -m tests.integration.core.matrix_walk
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(readme_table())
