"""Only superusers read mail in the admin (scheduler_site.admin_content). Staff with view, change and
delete permissions still look after tasks, receipts and events, without their subjects, bodies or titles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.admin import site
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.forms import BaseForm, MultiWidget
from django.test import Client

from conftest import client_for
from emailsync.admin import MessageReceiptAdmin
from emailsync.models import MessageReceipt
from scheduler_site.tests.test_access import Owner, make_owner
from tasks_app.models import Task

pytestmark = pytest.mark.django_db

CONTENT_MODELS = [
    "tasks_app.task",
    "emailsync.messagereceipt",
    "tasks_app.localcalendarevent",
    "accounts.apitoken",
]


@pytest.fixture
def alice(tmp_path: Path, user_factory: Callable[..., User]) -> Owner:
    return make_owner("alice", tmp_path, user_factory)


@pytest.fixture
def staff(user_factory: Callable[..., User]) -> Client:
    """Staff, not superuser, holding every permission on the models that carry mail."""
    user = user_factory("staff")
    user.is_staff = True
    user.save()
    models = [label.split(".")[1] for label in CONTENT_MODELS]
    user.user_permissions.set(Permission.objects.filter(content_type__model__in=models))
    return client_for(user)


@pytest.fixture
def root() -> Client:
    return client_for(
        User.objects.create_superuser("root", "root@example.com", "correct horse battery staple")
    )


def page(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def admin_pages(alice: Owner) -> list[str]:
    task = Task.objects.get(user=alice.user, status=Task.Status.SCHEDULED)
    receipt = task.source
    event = alice.user.local_events.get()
    token = alice.user.api_tokens.get()
    urls = [
        "/admin/tasks_app/task/",
        "/admin/emailsync/messagereceipt/",
        "/admin/tasks_app/localcalendarevent/",
    ]
    urls += ["/admin/accounts/apitoken/"]
    for path, pk in [
        ("tasks_app/task", task.pk),
        ("emailsync/messagereceipt", receipt.pk),
        ("tasks_app/localcalendarevent", event.pk),
        ("accounts/apitoken", token.pk),
    ]:
        urls += [f"/admin/{path}/{pk}/change/", f"/admin/{path}/{pk}/history/", f"/admin/{path}/{pk}/delete/"]
    return urls


CONTENT = ["title", "notes", "evidence", "subject", "sender", "body", "summary", "token_hash"]


def test_staff_with_every_permission_see_no_mail_content(alice: Owner, staff: Client) -> None:
    for url in admin_pages(alice):
        text = page(staff, url)
        for key in CONTENT:
            assert alice.secrets[key] not in text, f"{url} shows {key}"


def test_staff_still_see_the_operational_columns(alice: Owner, staff: Client) -> None:
    text = page(staff, "/admin/emailsync/messagereceipt/")

    assert "Failed" in text and "Could not parse" not in text  # status shown; last_error is not a column
    receipt = MessageReceipt.objects.get(mailbox__user=alice.user, message_id="alice-1.eml")
    assert "alice-1.eml" in page(staff, f"/admin/emailsync/messagereceipt/{receipt.pk}/change/")


def test_a_superuser_sees_the_mail_content(alice: Owner, root: Client) -> None:
    seen = "".join(page(root, url) for url in admin_pages(alice))

    for key in CONTENT:
        assert alice.secrets[key] in seen, key


def test_staff_cannot_search_mail_content(alice: Owner, staff: Client, root: Client) -> None:
    subject = alice.secrets["subject"]

    assert staff.get("/admin/emailsync/messagereceipt/", {"q": subject}).context["cl"].result_count == 0
    assert staff.get("/admin/emailsync/messagereceipt/", {"q": "alice-1.eml"}).context["cl"].result_count == 1
    assert root.get("/admin/emailsync/messagereceipt/", {"q": subject}).context["cl"].result_count == 1
    # Nothing to search in tasks for staff: the search box is gone rather than searching by title.
    assert staff.get("/admin/tasks_app/task/").context["cl"].search_fields == []


def test_staff_cannot_filter_on_mail_content_in_the_address(
    alice: Owner, staff: Client, root: Client
) -> None:
    # Counting matches of ?subject__startswith=... would spell a subject out letter by letter.
    for url in [
        "/admin/emailsync/messagereceipt/?subject__startswith=Alice",
        "/admin/tasks_app/task/?source__subject=x",
    ]:
        assert staff.get(url).status_code == 400, url

    exact = {"subject": alice.secrets["subject"]}
    assert root.get("/admin/emailsync/messagereceipt/", exact).context["cl"].result_count == 1


def test_autocomplete_names_no_receipts_to_staff(alice: Owner, staff: Client, root: Client) -> None:
    url = "/admin/autocomplete/?app_label=tasks_app&model_name=task&field_name=source&term="

    assert staff.get(url).status_code == 404
    assert alice.secrets["subject"] in root.get(url).content.decode()


def form_data(form: BaseForm) -> dict[str, object]:
    """What a browser would send back for ``form`` untouched."""
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            data |= {f"{name}_{i}": part or "" for i, part in enumerate(field.widget.decompress(value) or [])}
        elif value is not None and value is not False:
            data[name] = value
    return data


def test_a_staff_edit_keeps_the_content_and_logs_no_title(alice: Owner, staff: Client) -> None:
    task = Task.objects.get(user=alice.user, status=Task.Status.SCHEDULED)
    form = staff.get(f"/admin/tasks_app/task/{task.pk}/change/").context["adminform"].form
    data = {**form_data(form), "status": Task.Status.DONE}

    response = staff.post(f"/admin/tasks_app/task/{task.pk}/change/", data, follow=True)

    assert response.status_code == 200
    task.refresh_from_db()
    assert (task.status, task.title, task.evidence) == (
        Task.Status.DONE,
        alice.secrets["title"],
        alice.secrets["evidence"],
    )
    assert alice.secrets["title"] not in response.content.decode()  # the "was changed" message
    assert LogEntry.objects.get().object_repr == f"Task #{task.pk}"
    assert alice.secrets["title"] not in page(staff, "/admin/")  # Recent actions


def test_deleting_a_receipt_as_staff_lists_counts_not_titles(alice: Owner, staff: Client) -> None:
    receipt = MessageReceipt.objects.get(mailbox__user=alice.user, subject=alice.secrets["subject"])

    text = page(staff, f"/admin/emailsync/messagereceipt/{receipt.pk}/delete/")
    assert "Tasks: 2" in text
    assert alice.secrets["title"] not in text and alice.secrets["subject"] not in text

    response = staff.post(
        f"/admin/emailsync/messagereceipt/{receipt.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert alice.secrets["subject"] not in response.content.decode()
    assert not MessageReceipt.objects.filter(pk=receipt.pk).exists()
    assert LogEntry.objects.get().object_repr == f"Message receipt #{receipt.pk}"


def test_a_filter_on_mail_content_is_offered_to_superusers_only(
    alice: Owner, staff: Client, root: Client
) -> None:
    class WithSenderFilter(MessageReceiptAdmin):
        list_filter = ["status", "sender"]

    model_admin = WithSenderFilter(MessageReceipt, site)

    for client, expected in [(staff, ["status"]), (root, ["status", "sender"])]:
        request = client.get("/admin/").wsgi_request
        assert list(model_admin.get_list_filter(request)) == expected


def test_the_senders_a_user_skips_are_shown_to_superusers_only(
    alice: Owner, user_factory: Callable[..., User], root: Client
) -> None:
    profile = alice.user.profile
    profile.skip_senders = "ex-partner.q7@example.net"
    profile.save()
    user = user_factory("support")
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_user", "view_profile"]))
    url = f"/admin/auth/user/{alice.user.pk}/change/"

    assert "ex-partner.q7@example.net" not in page(client_for(user), url)
    assert "ex-partner.q7@example.net" in page(root, url)
