"""Gunicorn's settings for the web app: ``gunicorn -c python:web.gunicorn_conf web.wsgi:app``.

- The access log names the path without its query string (``%(U)s``, not
  ``%(r)s``): the booking link and the live poll carry the match's invite token
  and a phone number in the query, and neither may reach a log (seed 004 §16).
  The referrer is left out for the same reason.
- ``WEB_CONCURRENCY`` worker processes (default 4), ``gthread`` with
  ``WEB_THREADS`` threads each (default 1). Measured by ``make bench``'s
  ``http`` part (docs/operations.md), 200 clients answering IN/OUT on 2 cores:
  1 thread ~140 requests/s, 2 threads ~100, 4 threads ~70, sync workers ~80.
  Writes to one match are optimistic and all writes take one table lock in
  turn, so more requests in flight per process mostly means more attempts
  that lose and are retried; gthread still beats sync by keeping connections
  alive, and an idle keep-alive client costs a socket, not a worker. Raise
  ``WEB_THREADS`` for read-heavy traffic. Each busy thread may hold one
  connection to the event store and one to the read models: keep workers ×
  threads × 2 well under PostgreSQL's ``max_connections``.
- No preload: each worker builds its own app after the fork, so no database
  connection, pool or thread is ever shared across processes.
- Timers and notices do not run here: production sets ``REDIS_URL`` and runs
  ``booking worker`` beside it; without ``REDIS_URL`` each worker would run its
  own timer thread (fine, the timers table is claimed row by row, but wasteful).

Any setting can still be overridden on the command line (``--bind``, ``-w``).
"""

from __future__ import annotations

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "1"))
preload_app = False
#: Seconds a silent worker may run before it is killed and replaced; a request
#: waits at most 5 s for read models and a few for a busy store.
timeout = 30
graceful_timeout = 20
keepalive = 5
#: Workers are recycled now and then, staggered, so a slow leak cannot grow.
max_requests = 20_000
max_requests_jitter = 2_000
#: The heartbeat file in memory: a slow disk must not look like a hung worker
#: (it holds nothing; any user may see it).
_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = _MEMORY if os.path.isdir(_MEMORY) else None

accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
#: Client, method, path without query, protocol, status, bytes, milliseconds, agent.
#: Named fields: the log filter (``booking/logs.py``) masks runs of digits and spaces
#: as phone numbers, which "200 1234 15" would be.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" status=%(s)s bytes=%(B)s ms=%(M)s "%(a)s"'

#: gunicorn ≥ 25.1 opens a control socket at ~/.gunicorn/gunicorn.ctl by default;
#: two instances on one host (a second club, the benchmark) would take it from
#: each other. Off unless ``GUNICORN_CONTROL_SOCKET`` names a path of its own.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
