"""gunicorn settings: `gunicorn -c config/gunicorn.py config.wsgi` (environment overrides below).

Threaded workers (gthread) keep client connections alive and overlap a request's database
round trips; the app is preloaded so workers fork with Django set up. Each thread holds one
database connection (CONN_MAX_AGE 60 s), so workers × threads must stay under PostgreSQL's
max_connections. With several workers the cache must be shared (CACHE_URL or a Redis broker:
config/settings/base.py) so a period closed in one worker is refused in all.

Measured on 2 cores shared with PostgreSQL and the load generator (README, performance): 2
workers × 4 threads. GUNICORN_WORKER_CLASS=sync was measured too and is slower: without
keep-alive every posting opens a connection (10 ms of server CPU a posting against 6-7).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count())))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
backlog = 256
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # "-" for stdout; off by default (costs time)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
proc_name = "medmal"


def post_fork(server, worker):
    # a connection inherited from the preloading master must not be shared by the workers
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
