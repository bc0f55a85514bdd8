"""The authorised Google API client and the one way to run its requests.

``google_service`` builds a googleapiclient service for one user (no network at build time); ``execute``
runs a request or a batch with the retry policy below and raises only ``GoogleApiError``.

Retry policy, in one place: a single request is retried by googleapiclient itself (``num_retries`` =
``GOOGLE_NUM_RETRIES``: 5xx, 429, rate-limit 403 and dropped connections), with its exponential sleeps
scaled by ``GOOGLE_RETRY_BASE_MS``. The library does not retry a batch, so ``execute`` does, as often and
with the same backoff plus jitter, honouring Retry-After up to ``MAX_INLINE_WAIT_SECONDS``; a longer wait
is left to the caller (defer the mailbox rather than sleep in a worker).
"""

from __future__ import annotations

import random
import time
from typing import Any

import google_auth_httplib2
import httplib2
from django.conf import settings
from django.contrib.auth.models import User
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest, HttpRequest

from accounts.google.errors import GoogleApiError, grade
from accounts.google.grant import StoredCredentials, google_credentials

# Longest wait between retries spent inside the worker; a longer Retry-After is the caller's to honour.
MAX_INLINE_WAIT_SECONDS = 10.0


def _retry_sleep(seconds: float) -> None:
    time.sleep(seconds * settings.GOOGLE_RETRY_BASE_MS / 1000)


class _Request(HttpRequest):
    """googleapiclient's request, with its retry sleeps scaled by ``GOOGLE_RETRY_BASE_MS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep = _retry_sleep


def authorized_http(credentials: StoredCredentials) -> google_auth_httplib2.AuthorizedHttp:
    # httplib2 is not thread-safe: every sync builds its own.
    return google_auth_httplib2.AuthorizedHttp(
        credentials, http=httplib2.Http(timeout=settings.GOOGLE_HTTP_TIMEOUT_SECONDS)
    )


def google_service(*, user: User, api: str, version: str, endpoint: str) -> Any:
    """A fresh googleapiclient service for one user, pointed at ``endpoint``. No network at build time;
    raises ``GoogleApiError`` when the user has no usable grant."""
    return build(
        api,
        version,
        http=authorized_http(google_credentials(user)),
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": endpoint},
        requestBuilder=_Request,
    )


def backoff_sleep(attempt: int, *, at_least: float = 0.0) -> None:
    """Sleep before retry number ``attempt`` (1, 2, ...): exponential, with jitter to spread the retries of
    many workers, and never shorter than ``at_least`` seconds."""
    base = random.uniform(0.5, 1.0) * 2**attempt * settings.GOOGLE_RETRY_BASE_MS / 1000
    time.sleep(max(base, at_least))


def execute(request: HttpRequest | BatchHttpRequest, *, http: Any = None) -> Any:
    """Run a googleapiclient request (its parsed answer is returned) or batch (its callbacks get the
    parts; ``http`` is the service's). Every failure is raised as a ``GoogleApiError``."""
    if not isinstance(request, BatchHttpRequest):
        try:
            return request.execute(num_retries=settings.GOOGLE_NUM_RETRIES)
        except GoogleApiError:
            raise  # graded already (a refresh of the credentials failed)
        except Exception as e:
            raise grade(e) from e
    attempts = settings.GOOGLE_NUM_RETRIES + 1
    for attempt in range(1, attempts + 1):
        try:
            # A failed batch raised before any callback ran, so sending the same batch again is safe.
            request.execute(http=http)
            return None
        except GoogleApiError:
            raise
        except Exception as e:
            error = grade(e)
            wait = error.retry_after or 0.0
            if not error.retryable or attempt == attempts or wait > MAX_INLINE_WAIT_SECONDS:
                raise error from e
            backoff_sleep(attempt, at_least=wait)
    raise AssertionError("unreachable")  # pragma: no cover
