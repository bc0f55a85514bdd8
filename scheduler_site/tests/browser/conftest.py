"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

They are skipped, with the reason in pytest's summary, when Chromium or Playwright is missing. Nothing is
downloaded: the browser is the system's (`apt-get install chromium`), never `playwright install`.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytest_django import Settings

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_ROOT = Path(__file__).resolve().parents[3]
# Each run keeps its screenshots in test-artifacts/ (not tracked); UPDATE_DOCS_SCREENSHOTS=1 refreshes the
# committed ones that the README shows, so an ordinary test run leaves the work tree clean.
SCREENSHOTS = (
    _ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"
    else _ROOT / "test-artifacts" / "screenshots"
)
VIEWPORT = {"width": 1280, "height": 800}
# axe-core's script, installed from npm by scripts/test.sh (AXE_PATH points elsewhere).
AXE = Path(os.environ.get("AXE_PATH", _ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))
# The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def skip_reason() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = skip_reason()
    if reason is None:
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"Browser tests skipped: {reason}"))


def axe_violations(tab: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core on the page as it is now; one line per node that breaks a WCAG 2 A/AA rule with one of
    ``impacts``: the rule, its impact, the element and axe's summary of what to fix."""
    if not AXE.is_file():
        pytest.skip(f"axe-core not found at {AXE} (scripts/test.sh installs it with npm)")
    tab.add_script_tag(path=str(AXE))
    # The site's pseudo-elements are decorative stripes and dots beside text (a task's priority stripe sits
    # in its left padding), never behind it. Left on, axe gives up on the contrast of every text in a task
    # card ("pseudoContent", reported as incomplete, not as a violation) and so missed the To do badge's.
    result = tab.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            checks: {'color-contrast': {options: {ignorePseudo: true}}},
            resultTypes: ['violations'],
        })""",
        AXE_TAGS,
    )
    # A rule that crashed is reported as incomplete; fail on it rather than pass without checking.
    crashed = [
        f"{rule['id']}: {rule['error']['message']}" for rule in result["incomplete"] if rule.get("error")
    ]
    assert not crashed, f"axe-core could not run: {crashed}"
    return [
        f"{rule['id']} ({rule['impact']}) at {' '.join(node['target'])}: {node['failureSummary'].splitlines()[-1].strip()}"
        for rule in result["violations"]
        if rule["impact"] in impacts
        for node in rule["nodes"]
    ]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread, which makes Django refuse database calls
    # from it ("you cannot call this from an async context"). The tests are synchronous code all the same.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Settings, tmp_path: Path) -> Iterator[Any]:
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = live_server.url
    settings.GOOGLE_ENABLED = False
    settings.DEMO_ACCOUNT = True
    settings.LOCAL_MAIL_ROOT = tmp_path / "mail"
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save a PNG of the page (into docs/screenshots/ with UPDATE_DOCS_SCREENSHOTS=1)."""

    def take(tab: Any, name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=full_page)
        assert path.stat().st_size > 1000
        return path

    return take


@pytest.fixture
def demo_user(page: Any, settings: Settings) -> User:
    """A throwaway demo user made by pressing "Try the demo account", with its private copy of the sample
    mailbox; the page is left signed in as it."""
    settings.SYNC_ON_LOGIN = False  # tests press the button themselves
    return sign_in_as_demo(page)


@pytest.fixture
def password_demo_user(settings: Settings) -> User:
    """The named demo account with its sample mailbox, as `manage.py demo_setup` leaves it for password
    sign-in (an ordinary account, not a throwaway one)."""
    from django.core.management import call_command

    from accounts.services import demo_password_user_ensure

    settings.SYNC_ON_LOGIN = False
    call_command("demo_setup", stdout=io.StringIO())
    return demo_password_user_ensure()


@pytest.fixture
def inline_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run queued jobs at once inside the request that queues them (django-q2's sync mode)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


def sync_now(user: User) -> None:
    """Sync a user's mailbox in the test process, for tests about what comes after a sync."""
    from emailsync.models import SyncRun
    from emailsync.services import mailbox_sync, sync_trigger

    run, _ = sync_trigger(user=user, trigger=SyncRun.Trigger.COMMAND, enqueue=False)
    run = mailbox_sync(run=run)
    assert run.state == SyncRun.State.SUCCEEDED, run.error


def sign_in_as_demo(tab: Any) -> User:
    """Press "Try the demo account" and return the throwaway user it made."""
    from django.contrib.auth import get_user_model

    before = set(get_user_model().objects.values_list("pk", flat=True))
    tab.goto("/accounts/login/")
    tab.get_by_role("button", name="Try the demo account").click()
    tab.wait_for_url("**/")
    [user] = get_user_model().objects.exclude(pk__in=before).filter(profile__is_demo=True)
    return user


def sign_in_with_password(tab: Any, username: str, password: str) -> None:
    tab.goto("/accounts/login/")
    tab.get_by_text("Sign in with a password").click()
    tab.get_by_label("Username").fill(username)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in", exact=True).click()
    tab.wait_for_url("**/")
