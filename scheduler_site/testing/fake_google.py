"""A fake Google on loopback HTTP for the real google-api-python-client and google-auth to talk to.

    with FakeGoogle() as google:
        alice = google.add_user("alice@example.com", time_zone="Europe/Madrid")
        alice.add_message(raw_bytes, labels=["INBOX"])
        tokens = google.grant("alice@example.com")
        google.fail("gmail.users.messages.get", status=429, retry_after=2)
        ... point the product at google.settings() ...
        assert [r.endpoint for r in google.requests] == [...]

Run by hand (prints the settings to use): `python -m scheduler_site.testing.fake_google --port 8765`.
See docs/fake-google.md for the endpoints, the fault injection and what is left out.
"""

from __future__ import annotations

import argparse
import email.parser
import email.policy
import fnmatch
import http
import itertools
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import fake_google_calendar, fake_google_gmail, fake_google_oauth
from .fake_google_oauth import IssuedTokens, OAuthRegistry
from .fake_google_state import (
    DEFAULT_SCOPES,
    Call,
    FakeUser,
    GoogleError,
    Reply,
    Route,
    api_error,
    injected_error,
    route,
)

DEFAULT_CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "fake-client-secret"
# Google refuses a batch of more than 100 calls as a whole.
MAX_BATCH_CALLS = 100

__all__ = ["DEFAULT_SCOPES", "FakeGoogle", "FakeUser", "IssuedTokens", "LoggedRequest"]


@dataclass(frozen=True)
class LoggedRequest:
    """One call the fake answered or dropped; calls inside a batch are logged one by one (`batch=True`)."""

    method: str
    path: str
    query: dict[str, list[str]]
    user: str | None  # the email behind the bearer token, when the token is known
    status: int | None  # None when the connection was dropped
    endpoint: str  # Google's method id, e.g. "gmail.users.messages.get"; "batch"; "unknown"
    batch: bool = False
    injected: bool = False  # answered by fail() or drop(), not by the fake's own logic


@dataclass
class _Fault:
    pattern: str
    kind: str  # fail, delay or drop
    times: int | None  # None: every time
    user: str | None
    status: int = 0
    seconds: float = 0.0
    retry_after: float | None = None
    body: Any = None
    reason: str | None = None
    message: str | None = None
    taken: int = 0  # calls it has fired on so far (a delay: calls that began waiting)

    def matches(self, endpoint: str, path: str, user: str | None) -> bool:
        subject = path if self.pattern.startswith("/") else endpoint
        return fnmatch.fnmatchcase(subject, self.pattern) and self.user in (None, user)

    def reply(self, endpoint: str) -> Reply:
        headers = {"Retry-After": f"{self.retry_after:g}"} if self.retry_after is not None else {}
        if isinstance(self.body, bytes | str):
            body = self.body.encode() if isinstance(self.body, str) else self.body
            return Reply(self.status, body, headers=headers)
        if self.body is not None:
            return Reply.json(self.status, self.body, headers)
        if endpoint.startswith("oauth."):
            kind = "internal_failure" if self.status >= 500 else "invalid_request"
            return Reply.json(
                self.status,
                {"error": kind, "error_description": http.HTTPStatus(self.status).phrase},
                headers,
            )
        error = injected_error(self.status, reason=self.reason, message=self.message)
        return Reply.json(error.status, error.payload, headers)


class _Dropped(Exception):
    """A drop() fault fired: the connection closes without an answer."""


class FakeGoogle:
    """The fake's state and its HTTP server; thread-safe. Use it as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        access_token_lifetime: int = 3599,
        redirect_uris: Iterable[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host, self.port = host, port
        self.client_id, self.client_secret = client_id, client_secret
        self.access_token_lifetime = access_token_lifetime
        # None accepts any redirect_uri; a list makes others fail like an unregistered URI.
        self.redirect_uris = None if redirect_uris is None else set(redirect_uris)
        self.clock = clock
        self.lock = threading.RLock()
        self.users: dict[str, FakeUser] = {}
        self.oauth = OAuthRegistry(self)
        self.auto_approve_as: str | None = None
        self.auto_cancel_consent = False
        self._faults: list[_Fault] = []
        self._log: list[LoggedRequest] = []
        self.internal_errors: list[str] = []  # tracebacks of the fake's own failures; should stay empty
        self._message_ids = itertools.count(0x18F3A1C2D4E50000, 0x1B7)
        self._routes: list[Route] = [
            *fake_google_oauth.ROUTES,
            *fake_google_gmail.ROUTES,
            *fake_google_calendar.ROUTES,
            route("POST", "/batch", "batch", self._batch),
            route("POST", "/batch/gmail/v1", "batch", self._batch),
            route("POST", "/batch/calendar/v3", "batch", self._batch),
        ]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeGoogle:
        server = _Server((self.host, self.port), _Handler)
        server.google = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_uri(self) -> str:
        return f"{self.base_url}/o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        return f"{self.base_url}/token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.base_url}/revoke"

    @property
    def userinfo_url(self) -> str:
        return f"{self.base_url}/oauth2/v3/userinfo"

    @property
    def gmail_api_endpoint(self) -> str:
        """The root: Gmail's discovery paths already start with `gmail/v1/`."""
        return f"{self.base_url}/"

    @property
    def gmail_batch_uri(self) -> str:
        return f"{self.base_url}/batch/gmail/v1"

    @property
    def calendar_api_endpoint(self) -> str:
        return f"{self.base_url}/calendar/v3/"

    @property
    def calendar_batch_uri(self) -> str:
        return f"{self.base_url}/batch/calendar/v3"

    def settings(self) -> dict[str, str]:
        """The environment variables (and Django settings of the same names) that point the product here."""
        return {
            "GOOGLE_CLIENT_ID": self.client_id,
            "GOOGLE_CLIENT_SECRET": self.client_secret,
            "GOOGLE_AUTHORIZATION_URL": self.auth_uri,
            "GOOGLE_TOKEN_URL": self.token_uri,
            "GOOGLE_REVOKE_URL": self.revoke_uri,
            "GOOGLE_USERINFO_URL": self.userinfo_url,
            "GMAIL_API_ENDPOINT": self.gmail_api_endpoint,
            "GMAIL_BATCH_URI": self.gmail_batch_uri,
            "GOOGLE_CALENDAR_API_ENDPOINT": self.calendar_api_endpoint,
            "GOOGLE_CALENDAR_BATCH_URI": self.calendar_batch_uri,
        }

    def django_settings(self) -> dict[str, Any]:
        """For `override_settings(**google.django_settings())`: adds what settings.py derives at import."""
        return {
            **self.settings(),
            "GOOGLE_ENABLED": True,
            "SOCIAL_AUTH_GOOGLE_OAUTH2_KEY": self.client_id,
            "SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET": self.client_secret,
        }

    def add_user(self, email: str, *, name: str | None = None, time_zone: str = "UTC") -> FakeUser:
        with self.lock:
            if email in self.users:
                raise ValueError(f"{email} already exists")
            index = len(self.users)
            user = FakeUser(
                email_address=email,
                name=name or email.split("@", 1)[0].replace(".", " ").title(),
                sub=str(108_000_000_000_000_000_000 + index),
                time_zone=time_zone,
                first_history_id=10_000 + 100_000 * index,
                lock=self.lock,
                new_message_id=lambda: f"{next(self._message_ids):016x}",
                clock=self.clock,
            )
            self.users[email] = user
            return user

    def user(self, email: str) -> FakeUser:
        with self.lock:
            return self.users[email]

    def grant(
        self, email: str, scopes: Iterable[str] = DEFAULT_SCOPES, *, offline: bool = True
    ) -> IssuedTokens:
        """Tokens as if `email` had consented to this client, without the browser round trip."""
        with self.lock:
            self.user(email).consented_clients.add(self.client_id)
            grant = self.oauth.new_grant(email, self.client_id, tuple(scopes), offline=offline)
            return IssuedTokens(
                self.oauth.new_access_token(grant),
                grant.refresh_token,
                self.access_token_lifetime,
                grant.scopes,
            )

    def revoke(self, email: str) -> None:
        """The user removes the app in their Google account: every grant dies, refreshes get invalid_grant."""
        with self.lock:
            for grant in self.oauth.grants:
                if grant.email == email:
                    self.oauth.revoke(grant)

    def expire_access_tokens(self, email: str | None = None) -> None:
        """Make current access tokens expired now (APIs answer 401; refresh tokens still work)."""
        with self.lock:
            for grant in self.oauth.grants:
                if email in (None, grant.email):
                    grant.access_tokens = dict.fromkeys(grant.access_tokens, 0.0)

    def auto_approve(self, email: str | None) -> None:
        """Let the authorize endpoint approve at once as `email` (None: show the consent form again)."""
        with self.lock:
            self.auto_approve_as = email

    def auto_cancel(self, cancel: bool = True) -> None:
        """Let the authorize endpoint answer as when the user presses Cancel on the consent screen: back to
        the redirect URI with `error=access_denied` and the state (False: approve or show the form again)."""
        with self.lock:
            self.auto_cancel_consent = cancel

    def fail(
        self,
        pattern: str,
        status: int = 429,
        *,
        times: int | None = 1,
        retry_after: float | None = None,
        body: Any = None,
        reason: str | None = None,
        message: str | None = None,
        user: str | None = None,
    ) -> None:
        """Answer matching calls with `status` in Google's error shape (or `body`), `times` times (None: all).

        `pattern` is a glob on the endpoint name (`gmail.users.messages.*`) or, when it starts with "/",
        on the path (`/gmail/v1/users/me/messages/18f3*`). `user` limits it to one account.
        """
        self._add_fault(
            _Fault(
                pattern,
                "fail",
                times,
                user,
                status=status,
                retry_after=retry_after,
                body=body,
                reason=reason,
                message=message,
            )
        )

    def delay(
        self, pattern: str, seconds: float, *, times: int | None = None, user: str | None = None
    ) -> _Fault:
        """Wait `seconds` before answering matching calls. The fault's `taken` counts the calls that began
        waiting, so a test can tell when a call is held (the request log has it only once answered)."""
        fault = _Fault(pattern, "delay", times, user, seconds=seconds)
        self._add_fault(fault)
        return fault

    def drop(self, pattern: str, *, times: int | None = 1, user: str | None = None) -> None:
        """Close the connection without answering. Inside a batch, the whole batch connection drops.

        httplib2 silently resends once on a dropped connection: one drop alone is invisible to the product.
        """
        self._add_fault(_Fault(pattern, "drop", times, user))

    def reset_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of the request log, oldest first."""
        with self.lock:
            return list(self._log)

    def requests_to(self, pattern: str, *, user: str | None = None) -> list[LoggedRequest]:
        """Logged calls whose endpoint (or path, for a pattern starting with "/") matches the glob."""
        return [
            r
            for r in self.requests
            if fnmatch.fnmatchcase(r.path if pattern.startswith("/") else r.endpoint, pattern)
            and user in (None, r.user)
        ]

    def clear_requests(self) -> None:
        with self.lock:
            self._log.clear()

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes, *, batch: bool = False
    ) -> Reply:
        """Answer one call; raises _Dropped when a drop() fault fires."""
        parts = urllib.parse.urlsplit(target)
        path, query = parts.path, urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        found, params = self._match(method, path)
        endpoint = found.name if found else "unknown"
        with self.lock:
            who = self._who(headers.get("authorization", ""))
            delay, fault = self._take_faults(endpoint, path, who)
        if delay:
            time.sleep(delay)
        if fault is not None and fault.kind == "drop":
            self._record(LoggedRequest(method, path, query, who, None, endpoint, batch, injected=True))
            raise _Dropped
        if fault is not None:
            reply = fault.reply(endpoint)
        elif found is None:
            reply = Reply(
                404, b"<h1>Not Found</h1><p>The requested URL was not found on this server.</p>", "text/html"
            )
        elif batch and endpoint == "batch":
            reply = api_error(
                400, "badRequest", "A batch request cannot contain another batch request."
            ).reply()
        else:
            call = Call(method, path, query, headers, body, params)
            try:
                reply = self._call(found, call)
            except GoogleError as error:
                reply = error.reply()
            except _Dropped:
                raise
            except Exception:
                # A bug in the fake, not a Google behaviour: answer 500 and keep the traceback for the test.
                self.internal_errors.append(traceback.format_exc())
                reply = injected_error(500).reply()
        self._record(
            LoggedRequest(method, path, query, who, reply.status, endpoint, batch, fault is not None)
        )
        return reply

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for candidate in self._routes:
            match = candidate.pattern.match(path)
            if match and candidate.method == method:
                return candidate, {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
        return None, {}

    def _call(self, found: Route, call: Call) -> Reply:
        if found.scopes is not None:
            try:
                with self.lock:
                    call.user, call.grant = self.oauth.authenticate(call.headers.get("authorization", ""))
            except GoogleError as error:
                if found.name == "oauth.userinfo":
                    raise fake_google_oauth.userinfo_unauthorized(error) from None
                raise
            if not found.scopes & set(call.grant.scopes):
                raise api_error(
                    403,
                    "insufficientPermissions",
                    "Request had insufficient authentication scopes.",
                ) from None
        return found.handler(self, call)

    def _who(self, authorization: str) -> str | None:
        grant = self.oauth.by_access_token.get(authorization.partition(" ")[2].strip())
        return grant.email if grant else None

    def _add_fault(self, fault: _Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_faults(self, endpoint: str, path: str, who: str | None) -> tuple[float, _Fault | None]:
        """All matching delays add up; the first matching fail or drop with uses left fires and uses one."""
        delay, chosen = 0.0, None
        for fault in self._faults:
            if fault.times == 0 or not fault.matches(endpoint, path, who):
                continue
            if fault.kind == "delay":
                delay += fault.seconds
            elif chosen is None:
                chosen = fault
            else:
                continue
            fault.taken += 1
            if fault.times is not None:
                fault.times -= 1
        return delay, chosen

    def _record(self, entry: LoggedRequest) -> None:
        with self.lock:
            self._log.append(entry)

    def _batch(self, google: FakeGoogle, call: Call) -> Reply:
        """The multipart/mixed batch endpoint, answering part by part as BatchHttpRequest parses it.

        Each answer part carries `Content-ID: <response-ID>` for a request part `Content-ID: <ID>`.
        """
        content_type = call.headers.get("content-type", "")
        if not content_type.startswith("multipart/mixed"):
            raise api_error(400, "badRequest", "Content-Type must be multipart/mixed for a batch request.")
        envelope = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + call.body
        )
        parts = envelope.get_payload() if envelope.is_multipart() else []
        if not parts:
            raise api_error(400, "badRequest", "A batch request must contain at least one call.")
        if len(parts) > MAX_BATCH_CALLS:
            raise api_error(
                400, "badRequest", f"A batch request cannot contain more than {MAX_BATCH_CALLS} calls."
            )
        boundary = "batch_" + secrets.token_hex(12)
        chunks = []
        for index, part in enumerate(parts, start=1):
            if part.get_content_type() != "application/http":
                raise api_error(400, "badRequest", "Each part of a batch request must be application/http.")
            # A long Content-ID arrives folded over two lines (the client's email generator folds at 78
            # characters, as Calendar's `<base + event id>` is): unfold it as RFC 5322 says.
            content_id = (
                re.sub(r"\r?\n(?=[ \t])", "", part.get("Content-ID") or str(index)).strip().strip("<>")
            )
            inner = _parse_inner_request(str(part.get_payload()))
            if inner is None:
                reply = api_error(400, "badRequest", "Invalid request line in a batch part.").reply()
            else:
                method, target, headers, body = inner
                headers.setdefault("authorization", call.headers.get("authorization", ""))
                reply = self.handle(method, target, headers, body, batch=True)
            chunks.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n".encode()
                + f"Content-ID: <response-{content_id}>\r\n\r\n".encode()
                + _http_response_bytes(reply)
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        return Reply(200, b"".join(chunks), f"multipart/mixed; boundary={boundary}")


def _parse_inner_request(payload: str) -> tuple[str, str, dict[str, str], bytes] | None:
    """`METHOD /path?query [HTTP/1.1]`, headers, a blank line, the body; None if there is no request line."""
    head, body = ([*re.split(r"\r?\n\r?\n", payload.lstrip("\r\n"), maxsplit=1), ""])[:2]
    request_line, *header_lines = head.splitlines() or [""]
    words = request_line.split()
    if len(words) not in (2, 3) or not words[1].startswith("/"):
        return None
    method, target = words[0], words[1]
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers, body.encode()


def _http_response_bytes(reply: Reply) -> bytes:
    lines = [f"HTTP/1.1 {reply.status} {http.HTTPStatus(reply.status).phrase}"]
    if reply.content_type:
        lines.append(f"Content-Type: {reply.content_type}")
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    lines.append(f"Content-Length: {len(reply.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + reply.body


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    google: FakeGoogle

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) leaves a broken pipe behind; that is expected, not a failure.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            reply = self.server.google.handle(self.command, self.path, headers, body)
        except _Dropped:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _load_mail(google: FakeGoogle, spec: str, time_zone: str) -> None:
    address, _, folder = spec.partition("=")
    user = google.users.get(address) or google.add_user(address, time_zone=time_zone)
    for path in sorted(Path(folder).rglob("*.eml")):
        user.add_message(path.read_bytes())


def _load_demo(google: FakeGoogle, address: str, time_zone: str) -> None:
    """The project's demo mailbox, its dates shifted to the present as for the demo account."""
    import datetime as dt
    import os

    import django

    # The testing settings: only the sample folder is read, and they need no SECRET_KEY.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_site.testing.settings")
    django.setup()
    from emailsync.demo import SAMPLE_DIR, days_to_shift, shift_message

    user = google.users.get(address) or google.add_user(address, time_zone=time_zone)
    delta = dt.timedelta(days=days_to_shift(dt.datetime.now(dt.UTC)))
    for path in sorted(SAMPLE_DIR.glob("*.eml")):
        user.add_message(shift_message(path.read_bytes(), delta))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Google for clicking through the Google path.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--user", action="append", default=[], help="create an empty account (repeatable)")
    parser.add_argument(
        "--mail",
        action="append",
        default=[],
        metavar="EMAIL=DIR",
        help="create an account whose inbox holds the .eml files under DIR (repeatable)",
    )
    parser.add_argument(
        "--demo",
        action="append",
        default=[],
        metavar="EMAIL",
        help="give EMAIL the demo mailbox, dated this week",
    )
    parser.add_argument("--time-zone", default="UTC", help="calendar time zone of the accounts created here")
    parser.add_argument("--auto-approve", metavar="EMAIL", help="skip the consent form and sign in as EMAIL")
    parser.add_argument(
        "--auto-cancel", action="store_true", help="answer every sign-in as if the user pressed Cancel"
    )
    args = parser.parse_args(argv)
    google = FakeGoogle(
        host=args.host, port=args.port, client_id=args.client_id, client_secret=args.client_secret
    )
    for address in args.user:
        google.add_user(address, time_zone=args.time_zone)
    for spec in args.mail:
        _load_mail(google, spec, args.time_zone)
    for address in args.demo:
        _load_demo(google, address, args.time_zone)
    google.auto_approve(args.auto_approve)
    google.auto_cancel(args.auto_cancel)
    google.start()
    print(f"Fake Google on {google.base_url} with accounts: {', '.join(google.users) or '(none yet)'}")
    print("Point the product at it (e.g. in .env or the shell that runs runserver and qcluster):")
    for name, value in google.settings().items():
        print(f"export {name}={value}")
    print("Ctrl-C stops it.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        google.stop()


if __name__ == "__main__":
    main()
