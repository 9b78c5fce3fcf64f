"""gunicorn's settings for running the service: ``gunicorn --config gunicorn.conf.py``.

Options given on the command line win over these (``--workers``, ``--bind``...). The app
itself adds the security headers to every response (``accreditation/security.py``); this
file keeps the server from saying more about itself than it must:

- the ``Server`` header names no version (gunicorn sends ``Server: gunicorn``; the tests
  check that under this file, so an upgrade that brought a version back would fail them);
- no control socket: nothing here uses one, and it is one more way into a running server;
- an access log, if one is kept, has the one-off tokens of invitation links replaced
  (``accreditation/access_log.py``);
- threaded workers (``gthread``): a connection that sends nothing waits in the worker's poller
  and takes no thread, so a few idle or slow clients cannot leave ``/healthz`` and everyone else
  waiting until the workers are killed, as they did with the default ``sync`` workers (one
  connection at a time each, and no keep-alive at all);
- idle keep-alive connections are kept longer than a client or proxy keeps them before reusing
  (load balancers commonly 60 s): a server that closes a connection just as the other side
  sends on it turns a request into a connection reset, which a POST cannot safely retry;
- with ``PROMETHEUS_MULTIPROC_DIR`` set (metrics, ``accreditation/metrics.py``), the workers'
  numbers are kept in that folder: it is emptied when the server starts (numbers of an
  earlier run would be added in) and a worker that ends is forgotten.
"""

from __future__ import annotations

import os
from pathlib import Path

wsgi_app = "accreditation:create_app()"
control_socket_disable = True
# Each worker serves up to ``threads`` requests at once; ``--workers`` is left to the command line.
worker_class = "gthread"
threads = 4
keepalive = 75
# If an access log is kept (``--access-logfile``), invitation tokens are left out of it.
logger_class = "accreditation.access_log.RedactingLogger"

# Requests larger than these are refused by gunicorn before the app sees them (its defaults,
# stated here so that they are a decision).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
