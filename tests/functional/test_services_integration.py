"""CI runs on real PostgreSQL, Redis and a Celery worker; these tests prove it."""
import pytest
from django.db import connection

from core.tasks import ping


@pytest.mark.services
@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute("select version()")
        assert "PostgreSQL" in cur.fetchone()[0]


@pytest.mark.services
def test_redis_answers():
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    assert client.ping() is True


def test_task_round_trip_through_a_real_worker(celery_worker_process):
    result = ping.delay()
    assert result.get(timeout=30) == "pong"
