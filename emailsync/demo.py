"""The demo accounts' mail: a copy of the sample mailbox in ``demo/mailbox`` moved to the present.

The sample emails were written for the week of Monday 2026-11-23 and are read as on its Friday afternoon,
just after the newest one: then only two urgent "today" asks are late and the rest is due next week. The
copy is shifted forward by whole days so that the sample's newest email lands in the last 24 hours. A whole
week would keep weekday words true by itself, but would leave the sample up to six days old, and most of its
deadlines past. So dates written in headers, bodies and calendar parts move by the same days, and weekday
words turn with them: a Monday email asking for "Friday" becomes a Wednesday email asking for "Sunday", still
four days out. The sample's relative words are chosen so that this holds: a bare weekday is at most a week
after its email, and no body that is base64-encoded names a weekday.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.services import demo_account_create
from emailsync.services import mailbox_connect_local
from emailsync.sources.local import local_mail_area

SAMPLE_DIR = Path(settings.BASE_DIR) / "demo" / "mailbox"
# The newest sample email (24, Friday 10:15 PT): the copy is dated so that this is at most a day ago.
SAMPLE_NEWEST = dt.datetime(2026, 11, 27, 18, 15, 44, tzinfo=dt.UTC)
# A demo user's copy of the sample mailbox, inside their own mail area.
DEMO_MAILBOX_FOLDER = "sample-mailbox"

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_ES_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
_MONTH_RE = "|".join([m for m in _MONTHS] + [m[:3] for m in _MONTHS if len(m) > 3] + ["sept"])
_EN_DATE = re.compile(rf"\b({_MONTH_RE})\.? (\d{{1,2}})(st|nd|rd|th)?\b", re.IGNORECASE)
_ES_DATE = re.compile(rf"\b(\d{{1,2}}) de ({'|'.join(_ES_MONTHS)})\b", re.IGNORECASE)
_ICS_DATE = re.compile(r"(?<=:)(20\d{2})(\d{2})(\d{2})(?=T\d{6})")
# Not followed by a digit, rather than a word boundary, so that ISO date-times ("2026-11-27T17:00") move too.
_ISO_DATE = re.compile(r"\b(20\d{2})-(\d{2})-(\d{2})(?!\d)")
_DATE_HEADER = re.compile(rb"^(Date:[ \t]*)(.+)$", re.MULTILINE | re.IGNORECASE)
_SUBJECT_HEADER = re.compile(rb"^(Subject:[ \t]*)(.+)$", re.MULTILINE | re.IGNORECASE)
_SAMPLE_YEAR = 2026


_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_ES_WEEKDAYS = ["lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo"]
# Full names anywhere; the short forms only before a month ("Fri, Nov 20", "Tue Dec 1"), where they cannot
# be the words "sun" or "sat".
_WEEKDAY_RE = re.compile(
    rf"\b(?:({'|'.join(_WEEKDAYS)})|({'|'.join(d[:3] for d in _WEEKDAYS)})(?=,? (?:{_MONTH_RE})\b)"
    rf"|({'|'.join(w for w in _ES_WEEKDAYS if w.isascii() and w not in ('miercoles', 'sabado'))}))\b",
    re.IGNORECASE,
)


def days_to_shift(now: dt.datetime) -> int:
    """Whole days that bring the sample's newest email into the 24 hours before ``now``, so that no sample
    email is dated later than now and none of its asks is older than the sample meant."""
    return max(0, (now - SAMPLE_NEWEST) // dt.timedelta(days=1))


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    return word.capitalize() if like[0].isupper() else word


def _turn_weekdays(text: str, days: int) -> str:
    def turn(match: re.Match[str]) -> str:
        word = match.group(0)
        if match.group(1):
            return _same_case(_WEEKDAYS[(_WEEKDAYS.index(word.lower()) + days) % 7], word)
        if match.group(2):
            short = [d[:3] for d in _WEEKDAYS]
            return _same_case(short[(short.index(word.lower()) + days) % 7], word)
        turned = _ES_WEEKDAYS[(_ES_WEEKDAYS.index(word.lower()) + days) % 7]
        return _same_case(turned.replace("miercoles", "miércoles").replace("sabado", "sábado"), word)

    return _WEEKDAY_RE.sub(turn, text)


def _month_number(name: str) -> int:
    name = name.lower().rstrip(".")
    for index, month in enumerate(_MONTHS):
        if month.startswith(name[:3]):
            return index + 1
    raise ValueError(name)


def _shift(year: int, month: int, day: int, delta: dt.timedelta) -> dt.date | None:
    try:
        return dt.date(year, month, day) + delta
    except ValueError:
        return None


def shift_text(text: str, delta: dt.timedelta) -> str:
    """Move the dates written in an email's text by ``delta`` (whole days), and turn weekday words with them."""
    if not delta:
        return text

    def english(match: re.Match[str]) -> str:
        moved = _shift(_SAMPLE_YEAR, _month_number(match.group(1)), int(match.group(2)), delta)
        if moved is None:
            return match.group(0)
        name = match.group(1)
        month = _MONTHS[moved.month - 1]
        month = month[:3] if len(name.rstrip(".")) == 3 else month
        month = month.capitalize() if name[0].isupper() else month
        suffix = ""
        if match.group(3):
            suffix = "th" if 11 <= moved.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(moved.day % 10, "th")
        return f"{month}{'.' if '.' in match.group(0) else ''} {moved.day}{suffix}"

    def spanish(match: re.Match[str]) -> str:
        moved = _shift(_SAMPLE_YEAR, _ES_MONTHS.index(match.group(2).lower()) + 1, int(match.group(1)), delta)
        return match.group(0) if moved is None else f"{moved.day} de {_ES_MONTHS[moved.month - 1]}"

    def compact(match: re.Match[str]) -> str:
        moved = _shift(int(match.group(1)), int(match.group(2)), int(match.group(3)), delta)
        return match.group(0) if moved is None else moved.strftime("%Y%m%d")

    def iso(match: re.Match[str]) -> str:
        moved = _shift(int(match.group(1)), int(match.group(2)), int(match.group(3)), delta)
        return match.group(0) if moved is None else moved.isoformat()

    text = _turn_weekdays(text, delta.days % 7)
    text = _EN_DATE.sub(english, text)
    text = _ES_DATE.sub(spanish, text)
    text = _ICS_DATE.sub(compact, text)
    return _ISO_DATE.sub(iso, text)


def shift_message(raw: bytes, delta: dt.timedelta) -> bytes:
    if not delta:
        return raw

    def header(match: re.Match[bytes]) -> bytes:
        try:
            moved = parsedate_to_datetime(match.group(2).decode("ascii").strip()) + delta
        except (TypeError, ValueError):
            return match.group(0)
        return match.group(1) + format_datetime(moved).encode("ascii")

    head, sep, body = raw.partition(b"\n\n")
    head = _DATE_HEADER.sub(header, head)
    # Invitations name their date in the subject ("@ Tue Dec 1, 2026 3pm"); it must agree with the body.
    head = _SUBJECT_HEADER.sub(
        lambda match: match.group(1) + shift_text(match.group(2).decode("latin-1"), delta).encode("latin-1"),
        head,
    )
    # The sample bodies are plain ASCII or 8-bit text parts; dates in them are ASCII, so latin-1 round-trips.
    body = shift_text(body.decode("latin-1"), delta).encode("latin-1")
    return head + sep + body


def demo_mailbox_install(*, target: Path, now: dt.datetime) -> int:
    """Copy the sample mailbox into ``target``, shifted to ``now``. Returns the number of messages.

    The copy is rebuilt only when missing, so messages already synced keep their ids and are not read again.
    """
    delta = dt.timedelta(days=days_to_shift(now))
    if target.exists() and any(target.glob("*.eml")):
        return len(list(target.glob("*.eml")))
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    count = 0
    for path in sorted(SAMPLE_DIR.glob("*.eml")):
        (tmp / path.name).write_bytes(shift_message(path.read_bytes(), delta))
        count += 1
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return count


def demo_user_create() -> User:
    """A new throwaway demo user with its own copy of the sample mailbox, moved to the present, in its own
    mail area. Nothing is shared with any other visitor; ``demo_users_delete_expired`` deletes it later."""
    with transaction.atomic():
        user = demo_account_create()
        folder = local_mail_area(user.pk) / DEMO_MAILBOX_FOLDER
        try:
            demo_mailbox_install(target=folder, now=timezone.now())
            mailbox_connect_local(user=user, folder=str(folder))
        except Exception:
            # The user row is rolled back; leave no folder behind it.
            shutil.rmtree(local_mail_area(user.pk), ignore_errors=True)
            raise
    return user
