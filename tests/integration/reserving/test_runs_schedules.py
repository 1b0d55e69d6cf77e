"""The quarter-end schedule (idempotent install) and its task, and demo_runs."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from reserving import services
from reserving.models import ReserveRun
from reserving.tasks import quarter_end_first_cut
from tests.integration.reserving.runbook import eager_celery, make_book  # noqa: F401 - fixture


@pytest.mark.django_db
def test_install_schedules_is_idempotent_and_runs_at_two_on_the_first_of_the_quarter(settings):
    call_command("install_schedules", stdout=StringIO())
    call_command("install_schedules", stdout=StringIO())
    tasks = PeriodicTask.objects.filter(task="reserving.quarter_end_first_cut")
    assert tasks.count() == 1
    cron = tasks.get().crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year) == ("0", "2", "1", "1,4,7,10")
    assert str(cron.timezone) == settings.CELERY_TIMEZONE


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_the_first_cut_task_creates_a_draft_run_for_the_quarter_just_ended():
    make_book(seed=81, policies=40, recorded_at=timezone.now() - timedelta(days=1))
    with mock.patch("reserving.tasks.timezone.localdate", return_value=date(2025, 1, 1)):
        run_id = quarter_end_first_cut.apply().get()
    run = ReserveRun.objects.get(pk=run_id)
    assert run.valuation_date == date(2024, 12, 31) and run.regime_code == "ru"
    assert run.status in ("computed", "draft") and run.preparer.username == "system"  # audited as the system


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("eager_celery")
def test_demo_runs_are_prepared_and_approved_by_two_people():
    services.ensure_roles()
    a = User.objects.create_user("actuary")
    a.groups.add(Group.objects.get(name="actuary"))
    b = User.objects.create_user("approver")
    b.groups.add(Group.objects.get(name="approver"))
    make_book(seed=82, policies=60, recorded_at=timezone.now() - timedelta(days=1))
    out = StringIO()
    call_command("demo_runs", "--quarters", "3", stdout=out)
    runs = list(ReserveRun.objects.order_by("valuation_date"))
    assert [r.status for r in runs] == ["approved"] * 3, out.getvalue()
    assert all(r.preparer == a and r.approver == b for r in runs)
    assert runs[-1].valuation_date == date(2024, 12, 31)
    call_command("demo_runs", "--quarters", "3", stdout=out)  # again: nothing new
    assert ReserveRun.objects.count() == 3
