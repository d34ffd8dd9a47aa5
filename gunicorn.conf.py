"""gunicorn in production: `gunicorn -c gunicorn.conf.py area_clienti.wsgi`.

Web workers are stateless (sessions and cache in Redis or the database, files in shared
storage), so more machines behind the load balancer scale out. Every value can be set from
the environment.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Pages wait on PostgreSQL a good share of the time: two processes a core and a few threads.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then: a slow leak never grows without end (0: never; the bench's
# served figures, whose bursts a restart would cut short).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Each worker on a listening socket of its own (SO_REUSEPORT), the kernel spreading the
# connections between them; otherwise whichever worker accepts first may take every
# keep-alive connection of a burst (the bench's served figures). Off by default: a replaced
# worker's socket drops the connections still waiting on it.
reuse_port = os.environ.get("WEB_REUSE_PORT") == "1"
# RequestIdMiddleware writes one JSON line per request; gunicorn's own access log is off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
