"""gunicorn settings from the environment (see README)."""

import os
from typing import Any

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))


def post_worker_init(worker: Any) -> None:
    """The errors gunicorn answers itself (a malformed request line or header, a limit) are
    JSON {detail, code} like every other API error, not its HTML page."""
    from config.gunicorn_errors import install  # imported here: the app is on the path now

    install()
