"""Every page checked by axe-core in a real browser, wide and at a phone's 375 px: no serious or critical
WCAG 2 A/AA violation. A failure lists each one with its rule, impact and element."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from scheduler_site.tests.browser.conftest import axe_violations, sign_in_as_demo, sync_now
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYOUTS = {"light": {"width": 1280, "height": 800}, "narrow": {"width": 375, "height": 740}}


def check(tab: Any, name: str, found: dict[str, list[str]]) -> None:
    tab.wait_for_load_state("load")
    violations = axe_violations(tab)
    if violations:
        found[name] = violations


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{page}:\n  " + "\n  ".join(lines) for page, lines in found.items())


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_page_passes_axe(page: Any, settings: Any, layout: str) -> None:
    settings.SYNC_ON_LOGIN = False
    page.set_viewport_size(LAYOUTS[layout])
    page.emulate_media(color_scheme="light")
    found: dict[str, list[str]] = {}

    page.goto("/accounts/login/")
    check(page, "sign-in", found)
    # A form sent without its CSRF cookie, as after a sign-out in another tab.
    page.context.clear_cookies()
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="Try the demo account").click()
    assert refused.value.status == 403
    check(page, "CSRF failure", found)

    user: User = sign_in_as_demo(page)
    sync_now(user)
    task = Task.objects.filter(user=user).order_by("pk").first()
    assert task is not None
    for name, address in [
        ("dashboard", "/"),
        ("week", "/week/"),
        ("review", "/review/"),
        ("task detail", f"/tasks/{task.pk}/"),
        ("task edit", f"/tasks/{task.pk}/edit/"),
        ("sync history", "/sync/history/"),
        ("settings", "/accounts/settings/"),
        ("404", "/no-such-page/"),
    ]:
        response = page.goto(address)
        assert response is not None
        assert response.status == (404 if name == "404" else 200), name
        check(page, name, found)

    assert found == {}, f"axe-core found serious or critical violations ({layout}):\n{report(found)}"
