"""The API's OpenAPI schema (drf-spectacular): valid, complete, served to signed-in users with a local docs
page, and true: schemathesis sends generated requests to the live server and checks every answer.

The schemathesis run is bounded (``MAX_EXAMPLES`` per operation) so that it stays within a minute or so;
``SCHEMATHESIS_MAX_EXAMPLES=500`` searches longer.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern
from hypothesis import HealthCheck, given, settings
from pytest_django import Settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from accounts.services import api_token_create
from conftest import MailFolder, client_for, sync_in_foreground
from emailsync.models import Mailbox
from scheduler_site import api_urls
from tasks_app.models import Task

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
UNDOCUMENTED = {"api:schema", "api:docs"}  # the schema and its page describe the API; they are not part of it
MailboxFactory = Callable[[User], tuple[Mailbox, MailFolder]]


def generated_schema() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_valid_openapi_and_generates_without_warnings() -> None:
    out = io.StringIO()

    # --validate checks the result against the OpenAPI 3 meta-schema; --fail-on-warn fails on anything
    # drf-spectacular had to guess (an unresolvable field, an operation id used twice, an enum clash).
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)

    assert '"openapi": "3.' in out.getvalue()


def test_every_api_url_and_method_is_in_the_schema() -> None:
    paths = generated_schema()["paths"]
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if f"api:{pattern.name}" in UNDOCUMENTED:
            continue
        route = "/api/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        assert route in paths, f"{route} is served but not in the schema"
        methods = {m.lower() for m in pattern.callback.cls.http_method_names} - {"options"}  # type: ignore[attr-defined]
        assert set(paths[route]) == methods, route


def test_the_schema_documents_the_answers_clients_handle() -> None:
    paths = generated_schema()["paths"]

    assert set(paths["/api/email/sync"]["post"]["responses"]) == {"202", "409", "401", "403", "429"}
    change = paths["/api/tasks/{task_id}/"]["patch"]
    assert {"400", "404", "401", "429"} <= set(change["responses"])
    # Every field is optional, but a change must change something: {} is refused ("Nothing to change.").
    assert change["requestBody"]["required"] is True
    body = change["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert generated_schema()["components"]["schemas"][body]["minProperties"] == 1
    page = paths["/api/tasks/"]["get"]
    assert {p["name"] for p in page["parameters"]} == {"all", "page_size", "cursor"}
    assert page["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TaskPage")


def test_the_schema_is_for_signed_in_users(alice: User) -> None:
    _, token = api_token_create(user=alice, name="schema")

    assert Client().get("/api/schema/").status_code == 401
    answer = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/schema/?format=json")
    assert answer.status_code == 200
    assert answer.json()["info"]["title"] == "Intelligent Scheduler API"


def test_the_docs_page_loads_everything_from_this_site(alice: User) -> None:
    page = client_for(alice).get("/api/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "/api/schema/" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "Swagger UI's scripts and styles"
    for asset in assets:
        assert not re.match(r"(https?:)?//", asset), f"{asset} comes from another site"
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not among our static files"


def test_the_settings_page_links_to_the_docs_page(alice: User) -> None:
    assert 'href="/api/docs/"' in client_for(alice).get("/accounts/settings/").content.decode()


def test_the_docs_page_sends_a_signed_out_visitor_to_sign_in() -> None:
    page = Client().get("/api/docs/")

    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")


@pytest.fixture
def api_world(alice: User, mailbox_factory: MailboxFactory, settings: Settings) -> dict[str, Any]:
    """Alice with a token, a synced mailbox (a finished run and a few tasks), and throttles out of the way so
    that generated requests reach the views."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/minute", "sync": "100000/minute", "demo": "100000/minute"},
    }
    _, folder = mailbox_factory(alice)
    folder.add(body="Could you send the slides to Maria by Friday 5pm?")
    folder.add(body="Please review the contract with legal.")
    folder.add(body="Let's meet next Tuesday at 10:00 for 30 minutes.")
    run = sync_in_foreground(alice)
    _, token = api_token_create(user=alice, name="schemathesis")
    task = Task.objects.filter(user=alice).order_by("pk").first()
    assert task is not None
    return {"token": token, "run": str(run.public_id), "task": task.pk}


@pytest.fixture
def live_api(live_server: Any, api_world: dict[str, Any]) -> Any:
    """The schema as the live server serves it, aimed at that server with Alice's token."""
    headers = {"Authorization": f"Bearer {api_world['token']}"}
    # Generous timeouts: a loaded CI machine is slow, and a slow answer is not what this test is about.
    url = f"{live_server.url}/api/schema/?format=json"
    schema = schemathesis.openapi.from_url(url, headers=headers, timeout=60)
    schema.config.update(base_url=live_server.url, headers=headers, request_timeout=60)
    return schema


# Each operation with generated valid requests (positive) and invalid ones (negative: wrong types, values
# out of range, missing or extra fields), and those with a path id also aimed at one of Alice's own objects,
# so that the views' real work (a change to her task, the status of her run) is fuzzed and not only 404s.
# (schemathesis' pytest plugin is not used: its parametrize does not run under pytest 9.)
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
RUNS = [
    ("sync_start", None, POSITIVE),
    ("export", None, POSITIVE),
    ("tasks_list", None, POSITIVE),
    ("tasks_list", None, NEGATIVE),
    ("sync_status", None, POSITIVE),
    ("sync_status", "run", POSITIVE),
    ("task_get", None, POSITIVE),
    ("task_get", "task", POSITIVE),
    ("task_change", None, POSITIVE),
    ("task_change", "task", POSITIVE),
    ("task_change", "task", NEGATIVE),
]


# Where the schema cannot say all the rules, answers must still be documented ones (never a 5xx), but the
# verdict may differ from what the schema alone suggests:
# - a title is trimmed before its length is checked, as on the web, so 120 characters with a space in front
#   are accepted, though maxLength (which cannot say "after trimming") calls them too long;
# - a due in year 1 or 9999 has no instant in every zone and is refused with 400, though it is a date-time.
LENIENT = {
    ("task_change", NEGATIVE): [negative_data_rejection],
    ("task_change", POSITIVE): [positive_data_acceptance],
}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("operation_id", "own", "mode"), RUNS, ids=[f"{o}-{w or 'any'}-{m.value}" for o, w, m in RUNS]
)
def test_the_live_api_answers_generated_requests_as_its_schema_says(
    live_api: Any, api_world: dict[str, Any], operation_id: str, own: str | None, mode: GenerationMode
) -> None:
    """No 5xx, and every status code, header and body as documented (schemathesis' default checks)."""
    operation = live_api.find_operation_by_id(operation_id)
    path_parameters = {"task_id": api_world[own]} if own else None

    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    def answers_as_documented(case: Any) -> None:
        case.call_and_validate(excluded_checks=LENIENT.get((operation_id, mode), []))

    answers_as_documented()


def test_the_documented_sync_status_has_the_fields_the_status_has() -> None:
    from emailsync.api import SyncRunStatusSerializer
    from emailsync.serializers import SyncRunSerializer

    assert set(SyncRunStatusSerializer().fields) == set(SyncRunSerializer().fields)
