"""The access table: every URL the site serves, asked by everyone who might ask.

Personas: ``anon`` (signed out), ``alice`` (owns the data every object URL points at), ``bob`` (an ordinary
user with data of his own), ``charlie`` (staff, not superuser, with every admin *view* permission: the
support operator) and, for admin rows, ``root`` (a superuser). Each row names one URL pattern, a method,
the URL (object ids are Alice's) and the outcome for each persona. Besides the status, every response is
searched for the other users' private strings, and Alice's data must be unchanged after the others tried.

A new URL pattern without a row fails ``test_every_url_pattern_has_a_row`` with the pattern's name; add
one line to ``TABLE``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.models import Task as QueueTask
from pytest_django import Settings
from social_django.models import Association, Nonce, UserSocialAuth

from accounts.models import ApiToken
from accounts.services import api_token_create, profile_for
from conftest import client_for
from emailsync.models import Mailbox, MessageReceipt, SyncRun
from emailsync.sources.local import local_mail_area
from tasks_app.models import LocalCalendarEvent, Task

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

LOGIN = "login"  # a redirect to the site's sign-in page
ADMIN_LOGIN = "admin-login"  # a redirect to the admin's sign-in page
Expect = int | str
REDIRECT = "redirect"  # any redirect, to a sign-in page or elsewhere
NO_PATTERN = "(no pattern)"  # rows for URLs that match nothing: the site's own 404 page

# Alice's ids fill the {placeholders} of a row's URL and data; see World.ids.
PERSONAS = ("anon", "alice", "bob", "charlie", "root")


@dataclasses.dataclass(frozen=True)
class Row:
    pattern: str  # the pattern's name ("tasks:detail") or, when it has none, its route
    method: str
    url: str
    expect: tuple[Expect, ...]  # anon, alice, bob, charlie[, root]
    data: dict[str, Any] | None = None
    shows: tuple[str, ...] = ()  # Alice's strings her own (or root's) 200 response must contain
    public: bool = False  # the URL itself is the credential: everyone holding it sees Alice's data
    api: bool = False  # asked again with Bearer tokens instead of sessions
    bug: str = ""  # a known fault (an expected failure until fixed; strict, so the fix must drop this)

    def __str__(self) -> str:
        return f"{self.method} {self.pattern} {self.url}"


def model_admin_rows(
    label: str, obj: str, shows: tuple[str, ...] = (), addable: bool = True, read_only: bool = False
) -> list[Row]:
    """The standard admin views of one registered model, asked about ``obj`` (Alice's where she has one).
    Charlie holds only view permissions: he may list, look and read history, never add, change or
    delete. Everyone who is not staff is sent to the admin's sign-in. ``addable``: the admin offers "add"
    at all; ``read_only``: every field is read-only, so an empty change form saves (302) instead of
    coming back with errors (200)."""
    app, model = label.split(".")
    base = f"/admin/{app}/{model}/"
    out = ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN
    name = f"admin:{app}_{model}"
    return [
        Row(f"{name}_changelist", "GET", base, (*out, 200, 200), shows=shows),
        Row(f"{name}_add", "GET", f"{base}add/", (*out, 403, 200 if addable else 403)),
        Row(f"{name}_change", "GET", f"{base}{obj}/change/", (*out, 200, 200), shows=shows),
        Row(f"{name}_change", "POST", f"{base}{obj}/change/", (*out, 403, 302 if read_only else 200)),
        Row(f"{name}_delete", "GET", f"{base}{obj}/delete/", (*out, 403, 200)),
        Row(f"{name}_delete", "POST", f"{base}{obj}/delete/", (*out, 403, 302), data={"post": "yes"}),
        Row(f"{name}_history", "GET", f"{base}{obj}/history/", (*out, 200, 200)),
        Row(f"admin/{app}/{model}/<path:object_id>/", "GET", f"{base}{obj}/", (*out, 302, 302)),
    ]


AL = ADMIN_LOGIN
TABLE: list[Row] = [
    # Sign-in and the account
    Row("accounts:login", "GET", "/accounts/login/", (200, 200, 200, 200)),
    Row("accounts:login", "POST", "/accounts/login/", (200, 200, 200, 200), {"username": "alice", "password": "x"}),
    Row("accounts:logout", "GET", "/accounts/logout/", (405, 405, 405, 405)),
    Row("accounts:logout", "POST", "/accounts/logout/", (LOGIN, LOGIN, LOGIN, LOGIN)),
    Row("accounts:demo-login", "GET", "/accounts/demo-login/", (405, 405, 405, 405)),
    # Offered only with DEBUG or DEMO_ACCOUNT=1 (test_demo_accounts covers it switched on).
    Row("accounts:demo-login", "POST", "/accounts/demo-login/", (404, 404, 404, 404)),
    Row("accounts:settings", "GET", "/accounts/settings/", (LOGIN, 200, 200, 200), shows=("feed_token",)),
    Row("accounts:settings", "POST", "/accounts/settings/", (LOGIN, 200, 200, 200), {"timezone": "Nowhere"}),
    Row("accounts:token-create", "GET", "/accounts/settings/tokens/", (LOGIN, 405, 405, 405)),
    Row("accounts:token-create", "POST", "/accounts/settings/tokens/", (LOGIN, 302, 302, 302), {"name": "cli"}),
    # Revoking someone else's token answers like revoking no token at all: existence is not revealed.
    Row("accounts:token-revoke", "POST", "/accounts/settings/tokens/{token}/revoke/", (LOGIN, 302, 302, 302)),
    Row("accounts:token-revoke", "GET", "/accounts/settings/tokens/{token}/revoke/", (LOGIN, 405, 405, 405)),
    Row("accounts:feed-regenerate", "POST", "/accounts/settings/feed/regenerate/", (LOGIN, 302, 302, 302)),
    Row("accounts:mailbox-connect", "POST", "/accounts/settings/mailbox/", (LOGIN, 302, 302, 302), {"folder": ""}),
    Row("accounts:mailbox-connect", "POST", "/accounts/settings/mailbox/", (LOGIN, 302, 302, 302), {"folder": "{bob_area}"}),
    Row("accounts:mailbox-upload", "POST", "/accounts/settings/mailbox/upload/", (LOGIN, 302, 302, 302)),
    Row("accounts:mailbox-upload", "GET", "/accounts/settings/mailbox/upload/", (LOGIN, 405, 405, 405)),
    # Only ever the signed-in user's own mailbox; a refused host changes nothing and redirects with the reason.
    Row("accounts:mailbox-imap", "POST", "/accounts/settings/mailbox/imap/", (LOGIN, 302, 302, 302), {"host": "127.0.0.1"}),
    Row("accounts:mailbox-imap", "GET", "/accounts/settings/mailbox/imap/", (LOGIN, 405, 405, 405)),
    Row("accounts:export", "GET", "/accounts/settings/export/", (LOGIN, 200, 200, 200), shows=("title", "subject")),
    Row("accounts:export", "POST", "/accounts/settings/export/", (LOGIN, 405, 405, 405)),
    Row("accounts:delete", "GET", "/accounts/settings/delete/", (LOGIN, 405, 405, 405)),
    Row("accounts:delete", "POST", "/accounts/settings/delete/", (LOGIN, LOGIN, LOGIN, LOGIN)),
    Row("accounts:google-disconnect", "POST", "/accounts/settings/google/disconnect/", (LOGIN, 302, 302, 302)),
    # Google sign-in (social-auth). Begin is POST-only; Google is not configured in tests.
    Row("social:begin", "GET", "/auth/login/google-oauth2/", (405, 405, 405, 405)),
    # Google is not configured in the table's world: no sign-in may start, nor finish.
    Row("social:begin", "POST", "/auth/login/google-oauth2/", (404, 404, 404, 404)),
    Row("social:begin", "POST", "/auth/login/no-such-backend/", (404, 404, 404, 404)),
    Row("social:complete", "GET", "/auth/complete/no-such-backend/", (404, 404, 404, 404)),
    Row("social:complete", "GET", "/auth/complete/google-oauth2/", (404, 404, 404, 404)),
    Row("social:complete", "GET", "/auth/complete/google-oauth2/?error=access_denied", (404, 404, 404, 404)),
    # SAML and app launches: no such flows for Google.
    Row("social:idp_launch", "GET", "/auth/idp-launch/google-oauth2/", (404, 404, 404, 404)),
    Row("social:app_launch", "GET", "/auth/app-launch/google-oauth2/", (404, 404, 404, 404)),
    Row("social:disconnect", "POST", "/auth/disconnect/google-oauth2/", (LOGIN, 302, 302, 302)),
    Row("social:disconnect_individual", "POST", "/auth/disconnect/google-oauth2/{social}/", (LOGIN, 302, 302, 302)),
    # The API: sessions here, Bearer tokens as well (api=True).
    Row("api:sync-start", "POST", "/api/email/sync", (401, 202, 202, 409), api=True),
    Row("api:sync-start", "GET", "/api/email/sync", (401, 405, 405, 405), api=True),
    Row("api:sync-status", "GET", "/api/email/sync/status/{run}", (401, 200, 404, 404), api=True),
    Row("api:task-list", "GET", "/api/tasks/", (401, 200, 200, 200), api=True, shows=("title", "subject")),
    Row("api:task-detail", "GET", "/api/tasks/{task}/", (401, 200, 404, 404), api=True, shows=("evidence",)),
    Row("api:task-detail", "PATCH", "/api/tasks/{task}/", (401, 200, 404, 404), {"status": "done"}, api=True),
    Row("api:task-detail", "POST", "/api/tasks/{task}/", (401, 405, 405, 405), api=True),
    Row("api:export", "GET", "/api/export", (401, 200, 200, 200), api=True, shows=("title", "subject")),
    Row("api:export", "POST", "/api/export", (401, 405, 405, 405), api=True),
    # The API's schema and its docs page: for signed-in users, like the API (the page sends others to sign in).
    Row("api:schema", "GET", "/api/schema/", (401, 200, 200, 200), api=True),
    Row("api:schema", "POST", "/api/schema/", (401, 405, 405, 405), api=True),
    Row("api:docs", "GET", "/api/docs/", (LOGIN, 200, 200, 200)),
    # Sync and its history
    Row("emailsync:sync", "POST", "/sync/sync/", (LOGIN, 302, 302, 302)),
    Row("emailsync:sync", "GET", "/sync/sync/", (LOGIN, 405, 405, 405)),
    Row("emailsync:history", "GET", "/sync/history/", (LOGIN, 200, 200, 200), shows=("failed_subject",)),
    Row("emailsync:retry", "POST", "/sync/messages/{failed_receipt}/retry/", (LOGIN, 302, 404, 404)),
    Row("emailsync:retry", "POST", "/sync/messages/{receipt}/retry/", (LOGIN, 302, 404, 404)),
    # The calendar feed: the secret address is the credential, whoever holds it (calendar apps hold no session).
    Row("calendar-feed", "GET", "/calendar/{feed_token}.ics", (200, 200, 200, 200), public=True, shows=("summary",)),
    Row("calendar-feed", "GET", "/calendar/not-the-token.ics", (404, 404, 404, 404)),
    Row("calendar-feed", "GET", "/calendar/{bob_feed_token}x.ics", (404, 404, 404, 404)),
    # Pages
    Row("tasks:dashboard", "GET", "/", (LOGIN, 200, 200, 200), shows=("title", "feed_token")),
    Row("tasks:week", "GET", "/week/?start={event_day}", (LOGIN, 200, 200, 200), shows=("title",)),
    Row("tasks:group", "GET", "/tasks/?group=undated", (LOGIN, 200, 200, 200), shows=("title",)),
    Row("tasks:review", "GET", "/review/", (LOGIN, 200, 200, 200), shows=("proposed_title",)),
    Row("tasks:review-decide", "POST", "/review/decide/", (LOGIN, 302, 302, 302), {"decision": "approve", "task_ids": "{proposed}"}),
    Row("tasks:review-decide", "GET", "/review/decide/", (LOGIN, 405, 405, 405)),
    Row("tasks:detail", "GET", "/tasks/{task}/", (LOGIN, 200, 404, 404), shows=("title", "evidence", "subject")),
    Row("tasks:edit", "GET", "/tasks/{task}/edit/", (LOGIN, 200, 404, 404), shows=("title",)),
    Row("tasks:edit", "POST", "/tasks/{task}/edit/", (LOGIN, 302, 404, 404), {"title": "Renamed", "duration_minutes": "30"}),
    Row("tasks:move", "POST", "/tasks/{task}/move/", (LOGIN, 302, 404, 404), {"next_free": "on"}),
    Row("tasks:move", "GET", "/tasks/{task}/move/", (LOGIN, 405, 405, 405)),
    Row("tasks:action", "POST", "/tasks/{task}/done/", (LOGIN, 302, 404, 404)),
    Row("tasks:action", "POST", "/tasks/{proposed}/approve/", (LOGIN, 302, 404, 404)),
    Row("tasks:action", "POST", "/tasks/{task}/no-such-action/", (LOGIN, 404, 404, 404)),
    Row("tasks:action", "GET", "/tasks/{task}/done/", (LOGIN, 405, 405, 405)),
    Row(NO_PATTERN, "GET", "/no-such-page/", (404, 404, 404, 404)),
    # The admin: the site's own pages, then every registered model.
    Row("admin:index", "GET", "/admin/", (AL, AL, AL, 200, 200)),
    Row("admin:login", "GET", "/admin/login/", (200, 200, 200, 302, 302)),
    # The admin sends anyone not staff from its logout to its index (and so to its sign-in).
    Row("admin:logout", "POST", "/admin/logout/", (302, 302, 302, LOGIN, LOGIN)),
    Row("admin:logout", "GET", "/admin/logout/", (302, 302, 302, 405, 405)),
    Row("admin:password_change", "GET", "/admin/password_change/", (AL, AL, AL, 200, 200)),
    Row("admin:password_change_done", "GET", "/admin/password_change/done/", (AL, AL, AL, 200, 200)),
    Row("admin:jsi18n", "GET", "/admin/jsi18n/", (AL, AL, AL, 200, 200)),
    # Autocomplete answers with each match's name (a receipt is named by its subject): not for charlie.
    Row("admin:autocomplete", "GET", "/admin/autocomplete/?app_label=tasks_app&model_name=task&field_name=source&term=", (AL, AL, AL, 404, 200), shows=("subject",)),
    Row("admin:view_on_site", "GET", "/admin/r/{task_type}/{task}/", (AL, AL, AL, 404, 404)),
    Row("admin/(?P<url>.*)$", "GET", "/admin/no-such-page/", (AL, AL, AL, 404, 404)),
    *(Row("admin:app_list", "GET", f"/admin/{app}/", (AL, AL, AL, 200, 200)) for app in ("auth", "django_q", "social_django", "accounts", "emailsync", "tasks_app")),
    Row("admin:auth_user_password_change", "GET", "/admin/auth/user/{user}/password/", (AL, AL, AL, 403, 200)),
    Row("admin:auth_user_password_change", "POST", "/admin/auth/user/{user}/password/", (AL, AL, AL, 403, 200)),
    *model_admin_rows("auth.user", "{user}"),
    *model_admin_rows("auth.group", "{group}"),
    *model_admin_rows("accounts.apitoken", "{token}"),
    *model_admin_rows("emailsync.mailbox", "{mailbox}"),
    *model_admin_rows("emailsync.syncrun", "{run_pk}", read_only=True),
    *model_admin_rows("emailsync.messagereceipt", "{receipt}", shows=("subject",)),
    *model_admin_rows("tasks_app.task", "{task}", shows=("title",)),
    *model_admin_rows("tasks_app.localcalendarevent", "{event}", shows=("summary",)),
    *model_admin_rows("social_django.usersocialauth", "{social}"),
    *model_admin_rows("social_django.nonce", "{nonce}"),
    *model_admin_rows("social_django.association", "{association}"),
    *model_admin_rows("django_q.schedule", "{schedule}"),
    *model_admin_rows("django_q.success", "{success}", addable=False, read_only=True),
    *model_admin_rows("django_q.failure", "{failure}", addable=False, read_only=True),
    *model_admin_rows("django_q.ormq", "{ormq}", addable=False),
    *model_admin_rows("axes.accessattempt", "{access_attempt}", addable=False, read_only=True),
    *model_admin_rows("axes.accesslog", "{access_log}", addable=False, read_only=True),
    *model_admin_rows("axes.accessfailurelog", "{access_failure}", addable=False, read_only=True),
]  # fmt: skip


@dataclasses.dataclass
class Owner:
    """A user with a mailbox, mail, tasks on the calendar, a sync run, an API token and a feed."""

    user: User
    secrets: dict[str, str]  # mail content and credentials: shown to nobody else, not even charlie
    private: dict[str, str]  # other things that are nobody else's business outside the admin
    token: str


def make_owner(name: str, tmp_path: Path, user_factory: Callable[..., User]) -> Owner:
    user = user_factory(name)
    tag = name.capitalize()
    secrets = {
        key: f"{tag}{key.replace('_', '').capitalize()}Q7"
        for key in ("title", "notes", "evidence", "proposed_title", "subject", "failed_subject", "body")
    }
    secrets |= {"sender": f"{name}.sender.q7@example.net", "summary": f"{tag}EventQ7"}
    folder = tmp_path / f"{name}-mail"
    folder.mkdir()
    mailbox = Mailbox.objects.create(user=user, source=Mailbox.Source.LOCAL, location=str(folder))
    receipt = MessageReceipt.objects.create(
        mailbox=mailbox,
        message_id=f"{name}-1.eml",
        subject=secrets["subject"],
        sender=secrets["sender"],
        body_text=f"Hello. {secrets['evidence']} by Friday. {secrets['body']}",
        status=MessageReceipt.Status.DONE,
        sent_at=timezone.now() - dt.timedelta(days=1),
    )
    MessageReceipt.objects.create(
        mailbox=mailbox,
        message_id=f"{name}-2.eml",
        subject=secrets["failed_subject"],
        status=MessageReceipt.Status.FAILED,
        attempts=1,
        last_error="Could not parse the message",
    )
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(days=2)
    event_id = f"{name}event0001"
    Task.objects.create(
        user=user,
        source=receipt,
        position=0,
        title=secrets["title"],
        notes=secrets["notes"],
        evidence=secrets["evidence"],
        kind=Task.Kind.MEETING,
        duration_minutes=30,
        status=Task.Status.SCHEDULED,
        event_id=event_id,
        event_start=start,
        event_end=start + dt.timedelta(minutes=30),
        event_written=True,
    )
    Task.objects.create(
        user=user, source=receipt, position=1, title=secrets["proposed_title"], status=Task.Status.PROPOSED
    )
    LocalCalendarEvent.objects.create(
        user=user,
        event_id=event_id,
        summary=secrets["summary"],
        start=start,
        end=start + dt.timedelta(minutes=30),
    )
    run = SyncRun.objects.create(
        user=user, trigger=SyncRun.Trigger.BUTTON, state=SyncRun.State.SUCCEEDED, finished_at=timezone.now()
    )
    token, raw = api_token_create(user=user, name=f"{name}'s laptop")
    UserSocialAuth.objects.create(user=user, provider="google-oauth2", uid=f"{name}-google-sub")
    secrets |= {"feed_token": profile_for(user).feed_token, "api_token": raw, "token_hash": token.token_hash}
    private = {"location": str(folder), "run": str(run.public_id)}
    return Owner(user=user, secrets=secrets, private=private, token=raw)


@dataclasses.dataclass
class World:
    alice: Owner
    bob: Owner
    charlie: User
    root: User
    ids: dict[str, Any]  # what fills a row's {placeholders}
    charlie_token: str

    def clients(self, bearer: bool) -> dict[str, Client]:
        if bearer:
            tokens = {"alice": self.alice.token, "bob": self.bob.token, "charlie": self.charlie_token}
            return {"anon": Client()} | {
                name: Client(headers={"Authorization": f"Bearer {raw}"}) for name, raw in tokens.items()
            }
        users = {"alice": self.alice.user, "bob": self.bob.user, "charlie": self.charlie, "root": self.root}
        return {"anon": Client()} | {name: client_for(user) for name, user in users.items()}

    def alice_state(self) -> list[Any]:
        """Everything of Alice's that a request could change; others' requests must leave it as it was."""
        user = self.alice.user
        return [
            User.objects.filter(pk=user.pk, is_active=True).exists(),
            profile_for(user).feed_token,
            list(
                Task.objects.filter(user=user).values_list("pk", "title", "status", "due_at", "event_start")
            ),
            list(MessageReceipt.objects.filter(mailbox__user=user).values_list("pk", "status", "attempts")),
            list(ApiToken.objects.filter(user=user).values_list("pk", "revoked_at")),
            list(Mailbox.objects.filter(user=user).values_list("location", "state", "source")),
            list(SyncRun.objects.filter(user=user).values_list("pk", "state")),
            list(UserSocialAuth.objects.filter(user=user).values_list("pk", "provider")),
            list(LocalCalendarEvent.objects.filter(user=user).values_list("pk", "summary", "start")),
        ]


def registered_permissions() -> list[Permission]:
    # Proxy models (django-q's Success and Failure) have permissions of their own.
    types = ContentType.objects.get_for_models(*admin.site._registry, for_concrete_models=False).values()
    return list(Permission.objects.filter(content_type__in=types, codename__startswith="view_"))


@pytest.fixture
def world(tmp_path: Path, user_factory: Callable[..., User]) -> World:
    alice = make_owner("alice", tmp_path, user_factory)
    bob = make_owner("bob", tmp_path, user_factory)
    charlie = user_factory("charlie-staff")
    charlie.is_staff = True
    charlie.save()
    charlie.user_permissions.set(registered_permissions())
    _, charlie_token = api_token_create(user=charlie, name="charlie's laptop")
    root = User.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    now = timezone.now()
    task = Task.objects.get(user=alice.user, status=Task.Status.SCHEDULED)
    ids = {
        "task": task.pk,
        "proposed": Task.objects.get(user=alice.user, status=Task.Status.PROPOSED).pk,
        "receipt": task.source_id,
        "failed_receipt": MessageReceipt.objects.get(
            mailbox__user=alice.user, status=MessageReceipt.Status.FAILED
        ).pk,
        "token": ApiToken.objects.get(user=alice.user).pk,
        "run": alice.private["run"],
        "run_pk": SyncRun.objects.get(user=alice.user).pk,
        "feed_token": alice.secrets["feed_token"],
        "bob_feed_token": bob.secrets["feed_token"],
        "event": LocalCalendarEvent.objects.get(user=alice.user).pk,
        "event_day": timezone.localtime(task.event_start).date().isoformat(),
        "mailbox": Mailbox.objects.get(user=alice.user).pk,
        "user": alice.user.pk,
        "social": UserSocialAuth.objects.get(user=alice.user).pk,
        "task_type": ContentType.objects.get_for_model(Task).pk,
        "group": Group.objects.create(name="support").pk,
        "nonce": Nonce.objects.create(server_url="https://idp.example.com", timestamp=1, salt="s").pk,
        "association": Association.objects.create(
            server_url="https://idp.example.com",
            handle="h",
            secret="c2VjcmV0",
            issued=1,
            lifetime=60,
            assoc_type="HMAC-SHA1",
        ).pk,
        "schedule": Schedule.objects.create(name="access-table", func="math.floor", args="1").pk,
        "success": QueueTask.objects.create(
            id="a" * 32, name="done-job", func="math.floor", started=now, stopped=now, success=True
        ).pk,
        "failure": QueueTask.objects.create(
            id="b" * 32, name="failed-job", func="math.floor", started=now, stopped=now, success=False
        ).pk,
        "ormq": OrmQ.objects.create(key="scheduler", payload="x", lock=now).pk,
        "bob_area": str(local_mail_area(bob.user.pk)),
        "access_attempt": AccessAttempt.objects.create(
            username="mallory", ip_address="192.0.2.1", user_agent="t", failures_since_start=1
        ).pk,
        "access_log": AccessLog.objects.create(username="alice", ip_address="192.0.2.1", user_agent="t").pk,
        "access_failure": AccessFailureLog.objects.create(
            username="alice", ip_address="192.0.2.1", user_agent="t"
        ).pk,
    }
    return World(alice=alice, bob=bob, charlie=charlie, root=root, ids=ids, charlie_token=charlie_token)


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    # Throttles count in the cache; rows must not use up each other's allowance.
    for cache in caches.all():
        cache.clear()


def fill(template: str, ids: dict[str, Any]) -> str:
    return template.format(**ids)


def ask(client: Client, row: Row, ids: dict[str, Any]) -> TestResponse | str:
    """One request; an exception in the view is an outcome to report, not a crash of the table."""
    url = fill(row.url, ids)
    data = {key: fill(str(value), ids) for key, value in (row.data or {}).items()}
    try:
        if row.method == "GET":
            return client.get(url)
        if row.method == "POST":
            return client.post(url, data)
        return client.generic(row.method, url, json.dumps(data), content_type="application/json")
    except Exception as e:
        return f"500 ({type(e).__name__}: {e})"


def outcome(response: TestResponse | str) -> Expect:
    if isinstance(response, str):
        return response
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("accounts:login")):
            return LOGIN
    return response.status_code


def text_of(response: TestResponse) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    return body.decode("utf-8", "replace") + response.get("Location", "")


def forbidden_strings(world: World, persona: str, row: Row) -> dict[str, str]:
    """Strings ``persona`` must not find in its answer to ``row``."""
    if persona == "root":
        return {}
    owners = {"alice": world.alice, "bob": world.bob}
    found: dict[str, str] = {}
    for name, owner in owners.items():
        if name == persona or (row.public and name == "alice"):
            continue
        found |= {f"{name}'s {key}": value for key, value in owner.secrets.items()}
        # In the admin, charlie may see operational data (paths, run ids); outside it he is anyone.
        if not (persona == "charlie" and row.pattern.startswith("admin")):
            found |= {f"{name}'s {key}": value for key, value in owner.private.items()}
    return found


def check_row(world: World, row: Row, bearer: bool) -> list[str]:
    problems = []
    clients = world.clients(bearer)
    expected = dict(zip(PERSONAS, row.expect, strict=False))
    if bearer:
        expected.pop("root", None)
    before = world.alice_state()
    # Alice and root go last: others must not have changed anything of hers by then.
    for persona in sorted(expected, key=lambda p: p in ("alice", "root")):
        if persona == "alice" and world.alice_state() != before:
            problems.append(f"Alice's data changed after the others asked {row}")
        response = ask(clients[persona], row, world.ids)
        got = outcome(response)
        if got != expected[persona] and not (
            expected[persona] == REDIRECT and got in (302, LOGIN, ADMIN_LOGIN)
        ):
            problems.append(f"{persona}: expected {expected[persona]}, got {got}")
        if isinstance(response, str):
            continue
        text = text_of(response)
        for what, value in forbidden_strings(world, persona, row).items():
            if value in text:
                problems.append(f"{persona} sees {what} ({value!r})")
        if got == 200 and (persona in ("alice", "root") or row.public):
            for key in row.shows:
                if world.alice.secrets[key] not in text:
                    problems.append(
                        f"{persona} does not see Alice's {key}: the leak check would prove nothing"
                    )
    return problems


def with_known_bugs(rows: Sequence[Row]) -> list[Any]:
    return [
        pytest.param(row, marks=pytest.mark.xfail(strict=True, reason=row.bug)) if row.bug else row
        for row in rows
    ]


@pytest.mark.parametrize("row", with_known_bugs(TABLE), ids=str)
def test_each_persona_reaches_only_what_it_should(world: World, row: Row) -> None:
    problems = check_row(world, row, bearer=False)
    assert not problems, f"{row}:\n" + "\n".join(problems)


@pytest.mark.parametrize("row", [row for row in TABLE if row.api], ids=str)
def test_the_api_answers_bearer_tokens_as_it_answers_sessions(world: World, row: Row) -> None:
    problems = check_row(world, row, bearer=True)
    assert not problems, f"{row} with Bearer tokens:\n" + "\n".join(problems)


@pytest.mark.parametrize("row", [row for row in TABLE if row.pattern != NO_PATTERN], ids=str)
def test_each_row_asks_the_pattern_it_names(world: World, row: Row) -> None:
    match = resolve(fill(row.url, world.ids).split("?")[0])
    assert pattern_key(match.namespace, match.url_name, match.route) == row.pattern


def test_a_wrong_or_revoked_bearer_token_is_refused(world: World) -> None:
    ApiToken.objects.filter(user=world.bob.user).update(revoked_at=timezone.now())
    for raw in (world.bob.token, world.alice.token + "x", "not-a-token"):
        response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/tasks/")
        assert response.status_code == 401, raw
        assert world.alice.secrets["title"] not in response.content.decode()


def test_the_feed_of_a_deactivated_user_is_gone(world: World) -> None:
    User.objects.filter(pk=world.alice.user.pk).update(is_active=False)

    assert Client().get(f"/calendar/{world.alice.secrets['feed_token']}.ics").status_code == 404


def test_a_form_without_its_csrf_token_is_refused_with_the_sites_page(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.bob.user)

    response = client.post("/accounts/settings/tokens/", {"name": "cli"})

    assert response.status_code == 403
    assert not ApiToken.objects.filter(user=world.bob.user, name="cli").exists()


def pattern_key(namespace: str, name: str | None, route: str) -> str:
    if name is None:
        return route
    return f"{namespace}:{name}" if namespace else name


def served_patterns(
    resolver: URLResolver | None = None, route: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, str]]:
    """(key, route, view) for every pattern the resolver serves, through includes."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        here = route + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace or ""]))
            yield from served_patterns(pattern, here, inner)
        elif isinstance(pattern, URLPattern):
            yield pattern_key(namespace, pattern.name, here), here, pattern.lookup_str


def missing_rows(table: Sequence[Row]) -> list[str]:
    """A line for each served pattern without a row, and for each row whose pattern is no longer served."""
    keys = {row.pattern for row in table}
    served = list(served_patterns())
    problems = [
        f"URL pattern {route!r} ({key}, view {view}) has no row in the access table: add "
        f'Row("{key}", "GET", "<url>", (anon, alice, bob, charlie)) to TABLE in {__name__}'
        for key, route, view in served
        if key not in keys
    ]
    served_keys = {key for key, _, _ in served} | {NO_PATTERN}
    problems += [
        f"Row {row} names a pattern that is not served" for row in table if row.pattern not in served_keys
    ]
    for model in admin.site._registry:
        stem = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        lacking = [
            view
            for view in ("changelist", "add", "change", "delete", "history")
            if f"{stem}_{view}" not in keys
        ]
        if lacking:
            problems.append(
                f"The admin of {model._meta.label} lacks rows for {', '.join(lacking)}: add "
                f'*model_admin_rows("{model._meta.label_lower}", "<object id>") to TABLE in {__name__}'
            )
    return problems


def test_every_url_pattern_has_a_row() -> None:
    problems = missing_rows(TABLE)
    assert not problems, "\n".join(problems)


def throwaway_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("new")


def test_the_completeness_check_names_a_pattern_added_without_a_row(settings: Settings) -> None:
    settings.ROOT_URLCONF = "scheduler_site.tests.access_urls"

    problems = missing_rows(TABLE)

    assert len(problems) == 1, problems
    assert "'exports/<int:export_id>/' (exports:download" in problems[0]


def test_the_completeness_check_names_rows_for_patterns_that_are_gone() -> None:
    stale = Row("tasks:archive", "GET", "/archive/", (LOGIN, 200, 200, 200))

    assert missing_rows([*TABLE, stale]) == [f"Row {stale} names a pattern that is not served"]


def test_the_completeness_check_names_a_model_admin_without_rows() -> None:
    table = [row for row in TABLE if not row.pattern.startswith("admin:django_q_ormq")]

    problems = missing_rows(table)

    assert any("The admin of django_q.OrmQ lacks rows" in line for line in problems), problems
