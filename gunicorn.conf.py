"""gunicorn settings for `gunicorn testpress.wsgi -c gunicorn.conf.py`, each one read from the environment."""

import gc
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers, 2 × cores + 1: measured against 2 gthread workers × 8 threads (README, Benchmark),
# they held twice the exam-day students; requests are CPU-bound Python, which threads share by the GIL.
workers = int(os.environ.get("GUNICORN_WORKERS", (os.cpu_count() or 1) * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
# Recycle workers now and then so a slow leak never reaches exam day; jitter avoids all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 200))
# The app is imported once, by the master, and every worker is forked with it loaded. Otherwise each
# worker max_requests recycles imports Django and the app again, ~0.55 s of CPU: at exam-day rates
# (400 requests/s over 5 workers, a recycle every ~25 s each) that is about a tenth of two cores. Nothing
# connects at import (database, Redis and the broker connect on first use, in the worker), so no
# connection is shared across the fork. New code needs the master restarted: a HUP forks new workers
# from the code the master already holds.
preload_app = os.environ.get("GUNICORN_PRELOAD_APP", "1").lower() not in ("0", "false", "no")


def pre_fork(server, worker):
    """Freeze what the master holds (the loaded app) before each fork, as Python's gc docs advise.

    A worker's full collections then skip those objects. Without it, each one walked the whole inherited
    heap and wrote to every object's header, copying the master's memory page by page: measured with a
    gc callback in the 5 workers under 20 s of answer saves, 80-137 ms of CPU a full collection, against
    11-16 ms frozen, and the collector's share of the workers' CPU went from 5.0 % to 3.0-3.3 %.
    """
    gc.freeze()


# Trust X-Forwarded-* only from the proxy in front (nginx on the same host by default).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The longest request line (method, path and query) gunicorn passes on; past it, gunicorn's own HTML 414.
# 8190 is its maximum, about nginx's default (large_client_header_buffers 4 8k): the proxy's limit is the
# real one, and everything the proxy passes reaches the app, whose refusals are JSON.
limit_request_line = int(os.environ.get("GUNICORN_LIMIT_REQUEST_LINE", 8190))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
