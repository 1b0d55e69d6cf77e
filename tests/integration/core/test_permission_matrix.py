"""The permission matrix, walked (issue 14 §1): every domain operation × every role, through the
API and through the admin, against core.roles.ALLOWED.

Nothing here is read from the table it checks. The services are found by reading their code (every
``authorize(actor, Operation.X)``), the API routes by the URL resolver, the admin pages by the
resolver and ``admin.site._registry``; which operation a route or page performs is observed: a
second superuser (the probe) sends it with a body built from the OpenAPI schema or from the forms
the page renders, while ``core.roles.authorize`` is wrapped wherever it was imported. Then each
role sends the same request, and the answer must match ALLOWED for the observed operations:
anonymous 401 (API) or the login page (admin); a refused role 403 (API) and never a write (no row
in any table, no audit row); an allowed role reaches the service (its authorize passes; a 400 for
the sample body is fine). A new service, route or page therefore fails here until it is enforced,
reached by the walk and answers as the matrix says. The counts are printed (`pytest -s`) and
written to ``permission_matrix.json`` in pytest's base temp directory.
"""
from __future__ import annotations

import json
from datetime import timedelta
from fnmatch import fnmatch

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import PermissionDenied
from core.models import AuditEvent
from core.roles import ALLOWED, Operation
from tests.integration.core import matrix_walk as mw
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------- the allowlists
# Public service functions that write without calling authorize, each with why that is right.
# Anything else that writes must authorize first; an entry that no longer writes, or now
# authorizes, fails too (the list cannot go stale).
UNAUTHORIZED_WRITERS = {
    "core.services.audit_record": "the audit row itself, written inside the operation it records",
    "core.services.period_get_or_create": "the period row of a label: a step of period_mark_closed (PERIOD_CLOSE)",
    "reserving.services.regimes_ensure_seeded": "puts back the seeded starting regimes (the data migration's "
                                                "rows) when a flushed database lacks them",
    "reserving.services.regime_effective": "reads the regime in effect; seeds the starting regimes first if they "
                                           "are missing (regimes_ensure_seeded)",
    "reserving.services.run_segment_compute": "the body of a segment's Celery task: the run was authorized by "
                                              "run_compute or run_retry (RUN_COMPUTE, RUN_RETRY)",
    "reserving.services.run_fail": "marks a run failed from its segment task: a step of the authorized compute",
    "reserving.services.ensure_roles": "creates the role groups (set-up, as demo_users does)",
    "segments.services.segments_ensure_seeded": "puts back the seeded segments (the data migration's rows) when "
                                                "a flushed database has none",
    "segments.services.segment_check": "the segment check of the policy services (after their authorize), which "
                                       "puts the seeded segments back first (segments_ensure_seeded)",
}
# Operations no API route or admin page performs: the management commands' and the schedules',
# run as the system actor. Walked here at the service level instead.
COMMAND_ONLY = {
    "SCHEDULE_INSTALL": "install_schedules / install_diyeh_schedule (Celery beat schedules)",
    "DEMO_USERS": "demo_users (resets the demo users; refused in production)",
}
# Write-method endpoints that authorize nothing because they write nothing (the probe's request
# changed no row): each with why. A new one fails until it is listed here or reaches a service.
READS = {
    "POST tariff-quote": "a price from the tariff, saved nowhere",
    "POST reserve-run-preview": "a selection's effect computed now, saved nowhere",
    "POST admin:reserving_run_preview": "the selection form's live preview, saved nowhere",
    "POST admin:reserving_run_progress": "a run's progress as JSON",
    "POST admin:reserving_run_backtest": "the back-test on the segment's history (reads only)",
    "POST admin:reserving_run_chart": "a workbench chart as JSON (reads only)",
    "POST admin:reserving_run_part": "a workbench fragment (HTML) fetched when opened (reads only)",
    "POST admin:reserving_run_report": "the run's reserving report page, from its stored results (reads only)",
    "POST admin:reserving_run_report_xlsx": "the run's reserving report as XLSX, from its stored results (reads only)",
    "POST admin:reserving_reserverun_change": "the run page: its buttons post to the run's action pages",
    "POST admin:tariff_indicated": "indicated rates (a GET form)",
    "POST reporting:*": "the dashboards: pages that read approved runs and ignore the method",
}
# Writes the admin lets a superuser make through Django's own ModelAdmin code (no service, no
# operation, no audit row), by model. A role that can make such a write fails the test instead:
# it is a write outside the matrix. Worth a second look: core.reportingperiod (a superuser can
# delete a closed period, which opens its quarter to postings again, and no audit row says so).
SUPERUSER_PLAIN_WRITES = {
    "auth.group": "user administration",
    "auth.user": "user administration",
    "axes.accessattempt": "login lockouts (axes_reset_username does the same)",
    "axes.accesslog": "login records",
    "axes.accessfailurelog": "login failure records",
    "django_celery_beat.clockedschedule": "Celery beat schedules (SCHEDULE_INSTALL installs ours)",
    "django_celery_beat.crontabschedule": "Celery beat schedules",
    "django_celery_beat.intervalschedule": "Celery beat schedules",
    "django_celery_beat.periodictask": "Celery beat schedules",
    "django_celery_beat.periodictasks": "beat's change marker, saved with any schedule change",
    "django_celery_beat.solarschedule": "Celery beat schedules",
    "reporting.accountinggroup": "regulator reference data (seeded by migration)",
    "segments.segment": "reference data: the book's segments (seeded by migration; deletion refused)",
    "fx.officialrate": "regulator reference data: the official exchange rates reports convert at",
    "reporting.glaccountmapping": "the GL chart of accounts",
    "reporting.dashboardsetting": "the dashboards' internal solvency buffer",
    "reporting.capitalentry": "deleting a capital entry (saving one is CAPITAL_SAVE)",
    "core.reportingperiod": "the period table: adding, editing or deleting a period row (closing is PERIOD_CLOSE)",
    "tariff.tariffversion": "deleting a tariff version (editing it and its rates is TARIFF_EDIT)",
}


def _book_upload() -> dict:
    from exchange.bookio import format as fmt

    return {"files": SimpleUploadedFile(fmt.FILES[0].name, b"not,a,book\n", content_type="text/csv")}


# What no form on the page declares: the import page takes files by a plain <input type=file>.
ADMIN_OVERRIDES = {"admin:exchange_import": _book_upload,
                   "reporting:export-start": lambda: {"format": "summary-csv"}}

SUMMARY: dict = {}  # the counts and lists the run reports (permission_matrix.json)
_WALKS: dict = {}  # each walk once a module: the API and admin tests and the coverage test share it


def allowed(role: str, ops) -> bool:
    return role == "superuser" or all(role in ALLOWED[Operation[op]] for op in ops)


@pytest.fixture(scope="module", autouse=True)
def _summary(request, tmp_path_factory):
    yield
    _WALKS.clear()
    if not SUMMARY:
        return
    unreached = len(SUMMARY.get("api_unreached", [])) + len(SUMMARY.get("admin_unreached", []))
    line = (f"permission matrix: {len(Operation)} operations, {len(mw.ROLES)} roles, "
            f"{SUMMARY.get('api_cells', '?')} api cells, {SUMMARY.get('admin_cells', '?')} admin cells checked "
            f"({SUMMARY.get('api_routes', '?')} API routes, {SUMMARY.get('admin_urls', '?')} admin URLs discovered, "
            f"{unreached} unreached)")
    path = tmp_path_factory.getbasetemp() / "permission_matrix.json"
    path.write_text(json.dumps({"summary": line, **SUMMARY}, indent=1, sort_keys=True, default=str))
    print(f"\n{line}\n  details: {path}")  # shown under `pytest -s`
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and request.config.getoption("capture") != "no":
        with capture.global_and_fixture_disabled():  # and without -s, on the terminal
            reporter.write_line("")
            reporter.write_line(line)


@pytest.fixture(autouse=True)
def _quiet():
    """Hundreds of deliberate 400s, 401s and 403s: their log lines are no news. (A filter, not
    `disabled`: Celery reconfigures logging when a beat task is run from the admin.)"""
    import logging

    loggers = [logging.getLogger(name) for name in ("django.request", "kombu.connection")]
    mute = logging.Filter("-")  # passes no record of these loggers
    for logger in loggers:
        logger.addFilter(mute)
    yield
    for logger in loggers:
        logger.removeFilter(mute)


@pytest.fixture
def world(db, eager_celery):
    """Tasks run in-process on every backend (the admin's "run selected tasks" sends the beat task)."""
    return mw.World()


@pytest.fixture
def recorder(monkeypatch):
    rec = mw.Recorder()
    rec.install(monkeypatch)
    assert "core.roles" in rec.patched and len(rec.patched) > 5, rec.patched
    return rec


# =============================================================================== the README
def test_the_readme_table_is_the_matrix():
    """README "### The permission matrix" is generated from ALLOWED and may not drift from it:
    regenerate it with `.venv/bin/python -m tests.integration.core.matrix_walk`."""
    text = (mw.ROOT / "README.md").read_text()
    section = text.split("### The permission matrix", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert "\n".join(rows) == mw.readme_table(), "README's permission matrix is not core.roles.ALLOWED"


# =============================================================================== the services
def test_every_operation_is_enforced_by_a_service_and_has_a_matrix_entry():
    functions = mw.scan_services()
    enforced: dict[str, list[str]] = {}
    for fn in functions.values():
        for op in fn.ops:
            enforced.setdefault(op, []).append(fn.key)
    unknown = sorted(set(enforced) - set(Operation.__members__))
    unreadable = [f"{fn.where}: authorize(..., {ops})" for fn in functions.values() for ops in fn.unreadable_ops]
    assert not unknown, f"authorize() of names that are no Operation: {unknown}"
    assert not unreadable, f"authorize() whose operation cannot be read: {unreadable}"
    missing = sorted(set(Operation.__members__) - set(enforced))
    assert not missing, f"operations no service enforces (no authorize(actor, Operation.X) anywhere): {missing}"
    assert set(ALLOWED) == set(Operation)
    SUMMARY["services"] = {op: sorted(keys) for op, keys in sorted(enforced.items())}
    print(f"\nservices: {sum(1 for f in functions.values() if f.ops)} functions authorize "
          f"{len(enforced)} of {len(Operation)} operations")


def test_no_service_writes_without_authorize():
    functions = mw.scan_services()
    authorized = mw.closure(functions, {k for k, f in functions.items() if f.ops})
    writers = mw.closure(functions, {k for k, f in functions.items() if f.writes})
    unguarded = sorted(k for k, f in functions.items() if f.public and k in writers and k not in authorized)
    def what(fn):
        return ", ".join(w for _, w in fn.writes[:3]) or "through a helper"

    offenders = [f"{functions[k].where} writes ({what(functions[k])}) and calls no authorize"
                 for k in unguarded if k not in UNAUTHORIZED_WRITERS]
    stale = sorted(k for k in UNAUTHORIZED_WRITERS if k not in unguarded)
    assert not offenders, "services that write without authorize:\n" + "\n".join(offenders)
    assert not stale, f"UNAUTHORIZED_WRITERS entries that no longer write unguarded (remove them): {stale}"


def test_services_authorize_their_caller_before_they_write():
    functions = mw.scan_services()
    writers = mw.closure(functions, {k for k, f in functions.items() if f.writes})
    problems = []
    for fn in functions.values():
        if not fn.ops:
            continue
        if any(actor != "actor" for actor in fn.actor_args):
            problems.append(f"{fn.where}: authorize({fn.actor_args}) is not given the caller's `actor`")
        first_write = min([line for line, _ in fn.writes] + [line for line, callee in fn.calls if callee in writers]
                          + [10 ** 9])
        if min(fn.authorize_lines) > first_write:
            problems.append(f"{fn.where}: writes on line {first_write} before authorize on {min(fn.authorize_lines)}")
    assert not problems, "\n".join(problems)


def test_command_only_operations_refuse_every_role(world, recorder):
    """What no route or page performs is walked at the service level: each function that
    authorizes such an operation, called as every role (they take only the actor)."""
    functions = mw.scan_services()
    problems, cells = [], 0
    for op in COMMAND_ONLY:
        for fn in [f for f in functions.values() if op in f.ops]:
            assert fn.required == ["actor"], f"{fn.where} needs {fn.required}: give the walk a way to call it"
            service = getattr(__import__(fn.module, fromlist=[fn.name]), fn.name)
            for role in mw.ROLES:
                user = world.users[role]
                with recorder.watch() as obs:
                    try:
                        service(actor=user)
                        outcome = "done"
                    except PermissionDenied:
                        outcome = "refused"
                cells += 1
                if allowed(role, [op]) and role != "anonymous":
                    if outcome != "done" or op not in obs.passed:
                        problems.append(f"{fn.key} as {role}: {outcome}, {obs.describe()}")
                elif outcome != "refused" or obs.wrote:
                    problems.append(f"{fn.key} as {role} (not allowed {op}): {outcome}, {obs.describe()}")
    SUMMARY["service_cells"] = cells
    assert not problems, "\n".join(problems)


# =============================================================================== judging
def _login_page(obs) -> bool:
    return obs.status == 302 and "/admin/login/" in obs.location


def _judge(ep: mw.Endpoint, world) -> list[str]:
    """One endpoint's cells against ALLOWED for the operations the probe's request authorized."""
    api = ep.surface == "api"
    names = {role: getattr(user, "username", None) for role, user in world.users.items()}
    problems = []
    if ep.declared and ep.declared not in ep.ops:
        problems.append(f"{ep.label} {ep.url}: the view declares {ep.declared} (write_operations) but its code "
                        f"authorizes {'+'.join(ep.ops) or 'nothing'} ({ep.probe.describe()})")
    for role, obs in ep.cells.items():
        where = f"{ep.label} {ep.url} as {role}"
        if obs.status >= 500:
            problems.append(f"{where}: {obs.describe()}")
        strangers = obs.actors() - {names[role]}
        if strangers:
            problems.append(f"{where}: the service was asked as {sorted(map(str, strangers))}, not as the signed-in "
                            f"user ({obs.describe()})")
        if role == "anonymous":
            if not (obs.status == 401 if api else _login_page(obs)) or obs.passed or obs.wrote:
                problems.append(f"{where}: want {'401' if api else 'the login page'} and nothing done; "
                                f"{obs.describe()}")
        elif ep.kind == "operation":
            if allowed(role, ep.ops):
                if obs.status in ((401, 403) if api else (403,)) or not obs.passed or obs.refused:
                    problems.append(f"{where}: ALLOWED gives {role} {'+'.join(ep.ops)}, but {obs.describe()}")
            elif (api and obs.status != 403) or obs.wrote:
                problems.append(f"{where}: ALLOWED refuses {role} {'+'.join(ep.ops)}, but {obs.describe()}")
        elif obs.wrote:
            if role != "superuser":
                problems.append(f"{where}: {role} wrote without any operation (outside the matrix): {obs.describe()}")
            elif obs.written - set(SUPERUSER_PLAIN_WRITES):
                problems.append(f"{where}: the superuser wrote {sorted(obs.written - set(SUPERUSER_PLAIN_WRITES))} "
                                "without any operation; list it in SUPERUSER_PLAIN_WRITES with why, or route it "
                                "through a service")
    return problems


def _sort_out(endpoints, problems) -> tuple[list[str], list[str], list[str]]:
    """Reads must be listed in READS; unreached endpoints are problems; returns (reads, refused, unreached)."""
    reads, refused, unreached = [], [], []
    for ep in endpoints:
        if ep.kind == "read" and ep.method != "get":
            if not any(fnmatch(ep.label.split(" [")[0], pattern) for pattern in READS):
                problems.append(f"{ep.label}: writes nothing and authorizes nothing; list it in READS with why, "
                                f"or make it reach its service ({ep.probe.describe()})")
            reads.append(ep.label)
        elif ep.kind == "refused":
            refused.append(ep.label)
        elif ep.kind == "unreached":
            unreached.append(f"{ep.label} {ep.url}: {ep.note}")
        elif ep.kind == "writes-without-operation" and ep.probe.written - set(SUPERUSER_PLAIN_WRITES):
            problems.append(f"{ep.label} {ep.url}: the probe's request wrote without any authorize: {ep.note}")
        elif ep.kind == "error":
            problems.append(f"{ep.label} {ep.url}: {ep.note}")
    problems += [f"unreached (the probe's body never got to a service): {u}" for u in unreached]
    return reads, refused, unreached


# =============================================================================== the API
def _walk_api(world, recorder) -> dict:
    if "api" not in _WALKS:
        _WALKS["api"] = mw.walk_api(world, recorder)
    return _WALKS["api"]


@pytest.mark.slow
def test_the_api_answers_as_the_matrix_says(world, recorder):
    walked = _walk_api(world, recorder)
    endpoints, reads = walked["endpoints"], walked["reads"]
    problems = [f"cannot build the URL of {u}" for u in walked["unresolvable"]]
    for ep in endpoints + reads:
        problems += _judge(ep, world)
    listed_reads, refused, unreached = _sort_out(endpoints + reads, problems)
    operations = [ep for ep in endpoints if ep.kind == "operation"]
    pairs = {(op, role) for ep in operations for op in ep.ops for role in ep.cells}
    SUMMARY.update(
        api_routes=walked["discovered"],
        api_write_endpoints=len(operations),
        api_requests=sum(len(ep.cells) + 1 for ep in endpoints + reads),
        api_cells=len(pairs),
        api_operations=sorted({op for ep in operations for op in ep.ops}),
        api_reads=listed_reads,
        api_refused=refused,
        api_unreached=unreached,
        api_endpoints={ep.label: "+".join(ep.ops) for ep in operations},
    )
    print(f"\napi: {SUMMARY['api_routes']} routes, {len(operations)} write endpoints, "
          f"{len(SUMMARY['api_operations'])} operations, {len(pairs)} operation × role cells, "
          f"{SUMMARY['api_requests']} requests; reads by POST {listed_reads}; unreached {len(unreached)}")
    for label, ops in SUMMARY["api_endpoints"].items():
        print(f"  {label:60} {ops}")
    assert not problems, f"{len(problems)} API cells disagree with the matrix:\n" + "\n".join(problems)


# =============================================================================== the admin
def _judge_admin_gets(gets: list[mw.GetCell]) -> tuple[list[str], list[mw.Endpoint]]:
    """Every GET: no write unless it performed an allowed operation; anonymous to the login page;
    a role without the model's view (or change) permission refused; a holder sees the standard
    pages. GETs that perform an operation (the book export, the dashboards' downloads) become
    matrix cells like POSTs: the superuser's GET names the operations."""
    problems, by_page = [], {}
    for cell in gets:
        by_page.setdefault(cell.page, {})[cell.role] = cell
        obs, where = cell.obs, f"GET {cell.page} as {cell.role}"
        if obs.status >= 500:
            problems.append(f"{where}: {obs.describe()}")
        if cell.role == "anonymous":
            page_name = cell.page.split(" [")[0]
            if page_name not in mw.PUBLIC_PAGES and not (obs.status == 302 and "/admin/login/" in obs.location):
                problems.append(f"{where}: want the login page; {obs.describe()}")
        elif cell.model_perm is False and obs.status == 200:
            problems.append(f"{where}: {cell.role} holds no view permission on the page's model, but it is shown")
        elif cell.model_perm and cell.standard and not (obs.status == 200 or (obs.status == 302
                                                                              and not _login_page(obs))):
            problems.append(f"{where}: {cell.role} may view the model, but {obs.describe()}")
        if obs.wrote and not (obs.passed and allowed(cell.role, obs.passed)):
            problems.append(f"{where}: a GET wrote; {obs.describe()}")
    endpoints = []
    for page, cells in by_page.items():
        ops = tuple(dict.fromkeys(cells["superuser"].obs.passed))
        if ops:
            ep = mw.Endpoint("admin", "get", page, "", ops=ops, kind="operation",
                             cells={role: c.obs for role, c in cells.items()})
            endpoints.append(ep)
    return problems, endpoints


def _walk_admin(world, recorder) -> dict:
    if "admin" not in _WALKS:
        walked = mw.walk_admin(world, recorder, ADMIN_OVERRIDES)
        walked["plain"] = mw.plain_admin_writes(world)
        _WALKS["admin"] = walked
    return _WALKS["admin"]


@pytest.mark.slow
def test_the_admin_answers_as_the_matrix_says(world, recorder):
    walked = _walk_admin(world, recorder)
    problems = [f"cannot build the URL of {u}" for u in walked["unresolvable"]]
    get_problems, get_endpoints = _judge_admin_gets(walked["gets"])
    problems += get_problems
    for ep in walked["endpoints"] + get_endpoints:
        problems += _judge(ep, world)
    listed_reads, refused, unreached = _sort_out(walked["endpoints"], problems)
    # Writes through Django's own ModelAdmin code: no service, no operation, no audit row.
    plain = walked["plain"]
    for model, how, role in plain:
        if role != "superuser":
            problems.append(f"admin {model}: {role} may {how} through the plain ModelAdmin (no service, no "
                            "authorize, no audit row): a write outside the matrix")
    superuser_models = {model for model, _how, role in plain if role == "superuser"}
    superuser_models |= {model for ep in walked["endpoints"] if ep.kind == "writes-without-operation"
                         for model in ep.probe.written}
    problems += [f"admin {m}: the superuser writes it through the plain ModelAdmin; list it in "
                 "SUPERUSER_PLAIN_WRITES with why, or route it through a service" for m in
                 sorted(superuser_models - set(SUPERUSER_PLAIN_WRITES))]
    problems += [f"SUPERUSER_PLAIN_WRITES lists {m}, which the admin no longer writes plainly" for m in
                 sorted(set(SUPERUSER_PLAIN_WRITES) - superuser_models)]
    operations = [ep for ep in walked["endpoints"] + get_endpoints if ep.kind == "operation"]
    pairs = {(op, role) for ep in operations for op in ep.ops for role in ep.cells}
    SUMMARY.update(
        admin_urls=walked["discovered"],
        admin_pages_walked=len({g.page for g in walked["gets"]}),
        admin_write_endpoints=len(operations),
        admin_requests=len(walked["gets"]) + sum(len(ep.cells) + 1 for ep in walked["endpoints"]),
        admin_cells=len(pairs),
        admin_operations=sorted({op for ep in operations for op in ep.ops}),
        admin_reads=listed_reads,
        admin_refused=refused,
        admin_unreached=unreached,
        admin_skipped=walked["skipped"],
        admin_get_only=walked["get_only"],
        admin_plain_writes=sorted(set(plain)),
        admin_endpoints={ep.label: "+".join(ep.ops) for ep in operations},
    )
    print(f"\nadmin: {SUMMARY['admin_urls']} URLs ({SUMMARY['admin_pages_walked']} walked), "
          f"{len(operations)} write endpoints, {len(SUMMARY['admin_operations'])} operations, {len(pairs)} "
          f"operation × role cells, {SUMMARY['admin_requests']} requests; unreached {len(unreached)}; "
          f"plain writes {len(set(plain))}")
    for label, ops in SUMMARY["admin_endpoints"].items():
        print(f"  {label:70} {ops}")
    assert not problems, f"{len(problems)} admin cells disagree with the matrix:\n" + "\n".join(problems)


@pytest.mark.slow  # walks the API and the admin whole (≈50 s): `make test` runs it, test-fast does not
def test_every_operation_is_walked_through_the_api_or_the_admin(world, recorder):
    endpoints = _walk_api(world, recorder)["endpoints"]
    walked = _walk_admin(world, recorder)
    api_ops = {op for ep in endpoints if ep.kind == "operation" for op in ep.ops}
    admin_ops = {op for ep in walked["endpoints"] if ep.kind == "operation" for op in ep.ops}
    admin_ops |= {op for g in walked["gets"] if g.role == "superuser" for op in g.obs.passed}
    unwalked = set(Operation.__members__) - api_ops - admin_ops
    SUMMARY["operations_command_only"] = sorted(unwalked)
    labels = [ep.label.split(" [")[0] for ep in endpoints + walked["endpoints"] if ep.kind == "read"]
    stale = sorted(p for p in READS if not any(fnmatch(label, p) for label in labels))
    assert not stale, f"READS entries no endpoint answers to any more (remove them): {stale}"
    SUMMARY["operations_api_only"] = sorted(api_ops - admin_ops)
    SUMMARY["operations_admin_only"] = sorted(admin_ops - api_ops)
    print(f"\noperations: {len(api_ops | admin_ops)} walked ({len(api_ops)} API, {len(admin_ops)} admin), "
          f"command-only {sorted(unwalked)}")
    assert unwalked == set(COMMAND_ONLY), (
        f"operations neither the API nor the admin performed: {sorted(unwalked - set(COMMAND_ONLY))}; "
        f"COMMAND_ONLY entries that a route or page performs: {sorted(set(COMMAND_ONLY) - unwalked)}")


# =============================================================================== maker-checker
@pytest.fixture
def superusers(db):
    User = get_user_model()
    return {name: User.objects.create_superuser(f"su-{name}", f"{name}@example.test", "pw-for-tests")
            for name in ("maker", "selector", "recomputer", "checker")}


def _approved_by_nobody(run_id: int) -> bool:
    from reserving.models import ReserveRun

    run = ReserveRun.objects.get(pk=run_id)
    return run.status == ReserveRun.Status.SUBMITTED and run.approver_id is None and not AuditEvent.objects.filter(
        verb__in=["run.approve", "run.reject"], target_id=str(run_id)).exists()


@pytest.mark.usefixtures("eager_celery")
def test_superusers_keep_maker_checker_in_the_api(superusers, django_capture_on_commit_callbacks):
    """Whoever created, selected on or recomputed a run is refused its approval and its
    rejection (403), superuser or not; another superuser approves it."""
    make_book(seed=14, policies=30, recorded_at=timezone.now() - timedelta(days=1))
    api = {}
    for name, user in superusers.items():
        api[name] = APIClient()
        api[name].force_authenticate(user)
    with django_capture_on_commit_callbacks(execute=True):
        made = api["maker"].post("/api/v1/reserve-runs/", {"valuation_date": "2024-12-31"}, format="json")
    assert made.status_code == 201, made.content
    base = f"/api/v1/reserve-runs/{made.json()['id']}"
    run = api["maker"].get(f"{base}/").json()  # the segments were computed when the request's transaction committed
    assert run["status"] == "computed", run
    seg = run["segments"][0]
    selected = api["selector"].post(f"{base}/selections/", {"segment": seg["segment"], "currency": seg["currency"],
                                                            "selection": {"note": "a note is a selection too"}},
                                    format="json")
    assert selected.status_code == 200 and selected.json()["status"] == "draft", selected.content
    with django_capture_on_commit_callbacks(execute=True):
        recomputed = api["recomputer"].post(f"{base}/compute/")
    assert recomputed.status_code == 200, recomputed.content
    for check in api["maker"].get(f"{base}/").json()["data_checks"]:
        if check["severity"] == "warning" and not check["acknowledged_at"]:
            assert api["maker"].post(f"{base}/checks/{check['id']}/acknowledge/").status_code == 200
    submitted = api["maker"].post(f"{base}/submit/")
    assert submitted.json()["status"] == "submitted", submitted.content
    for name in ("maker", "selector", "recomputer"):
        for verb, body in (("approve", None), ("reject", {"reason": "mine"})):
            refused = api[name].post(f"{base}/{verb}/", body, format="json")
            assert refused.status_code == 403, (name, verb, refused.content)
            assert "preparer" in json.dumps(refused.json()), refused.json()
        assert _approved_by_nobody(run["id"])
    approved = api["checker"].post(f"{base}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved", approved.content
    assert approved.json()["approver"] == "su-checker"


@pytest.mark.usefixtures("eager_celery")
def test_superusers_keep_maker_checker_in_the_admin(superusers, django_capture_on_commit_callbacks):
    from reserving import services
    from reserving.models import ReserveRun

    make_book(seed=15, policies=30, recorded_at=timezone.now() - timedelta(days=1))
    maker, selector, recomputer = superusers["maker"], superusers["selector"], superusers["recomputer"]
    run = services.run_create(valuation_date=timezone.datetime(2024, 12, 31).date(), actor=maker)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=maker)
    result = run.segment_results.first()
    services.run_selection_set(run=run, segment=result.segment, currency=result.currency,
                               selection={"note": "a note is a selection too"}, actor=selector)
    with django_capture_on_commit_callbacks(execute=True):
        services.run_compute(run=run, actor=recomputer)
    for check in run.data_checks.filter(severity="warning", acknowledged_at__isnull=True):
        services.run_check_acknowledge(check=check, actor=maker)
    services.run_submit(run=run, actor=maker)
    clients = {}
    for name, user in superusers.items():
        clients[name] = Client()
        clients[name].force_login(user)
    for name in ("maker", "selector", "recomputer"):
        for verb in ("approve", "reject"):
            page = clients[name].post(reverse("admin:reserving_run_action", args=[run.pk, verb]),
                                      {"reason": "mine"}, follow=True)
            assert page.status_code == 200
            assert "preparer" in page.content.decode(), (name, verb)
        assert _approved_by_nobody(run.pk)
        shown = clients[name].get(reverse("admin:reserving_reserverun_change", args=[run.pk]))
        assert shown.context["can"]["approve"] is False and shown.context["can"]["reject"] is False
    clients["checker"].post(reverse("admin:reserving_run_action", args=[run.pk, "approve"]))
    run.refresh_from_db()
    assert run.status == ReserveRun.Status.APPROVED and run.approver == superusers["checker"]
