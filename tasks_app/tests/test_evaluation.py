"""Scoring extractors, and the two management commands that wrap extraction and scoring."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from pytest_django import Settings

from tasks_app.evaluation import (
    DEFAULT_INTENT_PATH,
    DEFAULT_MAILBOX2_PATH,
    DEFAULT_MAILBOX3_PATH,
    DEFAULT_MAILBOX4_PATH,
    DEFAULT_MAILBOX_PATH,
    BinaryScore,
    ExpectedTask,
    LabelledEmail,
    evaluate_emails,
    evaluate_intent,
    half_of,
    keyword_in,
    load_intent_tsv,
    load_labelled_emails,
    render_emails_table,
    render_halves_table,
    render_intent_table,
    title_form_problem,
)
from tasks_app.extractors import MAX_TASKS_PER_EMAIL, EmailForExtraction, ExtractedTask, TaskKind


class KeywordExtractor:
    """A stand-in extractor: one task per email whose body mentions "please", due at a fixed time."""

    name = "keyword"
    metered = False

    def __init__(self, due: dt.datetime | None = None) -> None:
        self.due = due

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        if "please" not in email.body.lower():
            return []
        return [ExtractedTask(title=email.body, kind="deadline", evidence=email.body, due=self.due)]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_binary_score_computes_precision_recall_and_f1() -> None:
    score = BinaryScore(tp=6, fp=2, fn=4, tn=8)
    assert score.precision == pytest.approx(0.75)
    assert score.recall == pytest.approx(0.6)
    assert score.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert score.accuracy == pytest.approx(0.7)
    assert BinaryScore().f1 == 0.0


def test_the_split_into_halves_is_fixed_by_the_sentence_text() -> None:
    assert half_of("Please send the report.") == half_of("Please send the report.")
    halves = {half_of(sentence) for _, sentence in load_intent_tsv()}
    assert halves == {"tune", "holdout"}


def test_the_bundled_intent_set_loads_with_both_labels() -> None:
    rows = load_intent_tsv(DEFAULT_INTENT_PATH)
    assert len(rows) > 3000
    assert {label for label, _ in rows} == {True, False}


def test_it_scores_an_extractor_on_an_intent_tsv(tmp_path: Path) -> None:
    tsv = write(
        tmp_path,
        "intent.tsv",
        "Yes\tPlease send it.\nYes\tCan you call me?\nNo\tPlease ignore this.\nNo\tNice weather.\n",
    )
    result = evaluate_intent(KeywordExtractor(), tsv, keep_errors=5)
    assert (result.overall.tp, result.overall.fp, result.overall.fn, result.overall.tn) == (1, 1, 1, 1)
    assert sum(score.total for score in result.halves.values()) == 4
    assert result.false_positives == ["Please ignore this."]
    assert result.false_negatives == ["Can you call me?"]
    table = render_intent_table(result)
    assert "tune half" in table and "holdout half" in table and "0.500" in table


def test_it_rejects_a_malformed_intent_line(tmp_path: Path) -> None:
    tsv = write(tmp_path, "bad.tsv", "Maybe\tsomething\n")
    with pytest.raises(ValueError, match=r"bad\.tsv:1"):
        load_intent_tsv(tsv)


def _labelled_line(**overrides: object) -> str:
    record: dict[str, object] = {
        "id": "m1",
        "subject": "Report",
        "body": "Please send the report by Friday.",
        "sender": "a@example.com",
        "sent_at": "2026-03-04T10:00:00-05:00",
        "timezone": "America/New_York",
        "expected": [{"kind": "deadline", "due": "2026-03-06T17:00:00-05:00", "title_keywords": ["report"]}],
    }
    record.update(overrides)
    return json.dumps(record)


def test_it_scores_labelled_emails_with_a_due_tolerance(tmp_path: Path) -> None:
    jsonl = write(
        tmp_path,
        "emails.jsonl",
        "\n".join(
            [
                _labelled_line(),
                _labelled_line(id="m2", body="Nothing to do here.", expected=[]),
                _labelled_line(
                    id="m3",
                    body="Lunch was great.",
                    expected=[{"kind": "todo", "due": None, "title_keywords": ["lunch"]}],
                ),
            ]
        ),
    )
    emails = load_labelled_emails(jsonl)
    close = dt.datetime(2026, 3, 6, 17, 45, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    result = evaluate_emails(KeywordExtractor(due=close), emails, tolerance=dt.timedelta(hours=1))
    assert (result.has_task.tp, result.has_task.fn, result.has_task.tn) == (1, 1, 1)
    assert (result.matched_tasks, result.expected_tasks, result.extracted_tasks) == (1, 2, 1)
    assert (result.due_correct, result.due_checked) == (1, 1)
    assert result.misses == ["m3: lunch"]

    strict = evaluate_emails(KeywordExtractor(due=close), emails, tolerance=dt.timedelta(minutes=30))
    assert strict.due_correct == 0
    assert "due within 30 min" in render_emails_table(strict)


def test_it_rejects_a_labelled_email_without_an_offset(tmp_path: Path) -> None:
    jsonl = write(tmp_path, "emails.jsonl", _labelled_line(sent_at="2026-03-04T10:00:00"))
    with pytest.raises(ValueError, match=r"emails\.jsonl:1.*offset"):
        load_labelled_emails(jsonl)


def test_a_keyword_matches_the_start_of_a_word_either_alternative_and_any_accent() -> None:
    assert keyword_in("invoice", "Approve the Hostwise invoices")
    assert not keyword_in("invoice", "Send the reinvoice")
    assert keyword_in("facture|invoice", "Valider la facture de janvier")
    assert keyword_in("poliza", "Renovar la póliza del seguro")
    assert keyword_in("w-9", "Forward the W-9s to AP")
    assert keyword_in("1:1", "Our 1:1 with Helen")
    assert not keyword_in("dinner", "Book the room")


def _email(body: str = "", subject: str = "", sender_name: str = "") -> EmailForExtraction:
    return EmailForExtraction(
        id="x",
        subject=subject,
        body=body,
        sender="a@example.com",
        sent_at=dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC),
        timezone="UTC",
        sender_name=sender_name,
    )


def _task(title: str, kind: TaskKind = "deadline", due: dt.datetime | None = None) -> ExtractedTask:
    return ExtractedTask(title=title, kind=kind, evidence="", due=due)


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Approve: Hostwise invoice", "deadline"),
        ("Re-send the payroll file", "deadline"),
        ("Double-check the headcount numbers", "deadline"),
        ("Territory planning with the regional leads", "meeting"),
        ("Call with Rob about the pricing page (30 min)", "deadline"),
        ("Enviar el presupuesto definitivo del stand", "deadline"),
        ("Vertrag zurückschicken", "deadline"),
        ("Elegir las mejores fotos", "deadline"),
        ("Discuss the pricing page", "todo"),
        ("Send the quarterly report", "deadline"),
    ],
)
def test_a_title_that_reads_as_a_task_passes(title: str, kind: TaskKind) -> None:
    email = _email("Please send the quarterly report and the pricing page.", subject="Pricing")
    assert title_form_problem(_task(title, kind), email) == ""


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("It is late for us but should fall in you", "starts with 'it'"),
        ("Dana: I need your OK on the badge vendor", "starts with 'dana'"),
        ("do 45 minutes", "starts with 'do'"),
        ("Send the quarterly report to", "ends on 'to'"),
        ("Send the quarterly rep", "cut mid-word at 'rep'"),
        ("Send the final…", "ellipsis"),
        ("", "empty"),
    ],
)
def test_a_title_that_is_not_a_task_is_named_with_its_problem(title: str, problem: str) -> None:
    email = _email("Please send the quarterly report, do 45 minutes.", subject="Report")
    assert problem in title_form_problem(_task(title), email)


class ScriptedExtractor:
    """Returns the tasks written for each email id, so the scores it gets can be worked out by hand."""

    name = "scripted"
    metered = False

    def __init__(self, answers: dict[str, list[ExtractedTask]]) -> None:
        self.answers = answers

    def extract(self, email: EmailForExtraction) -> list[ExtractedTask]:
        return self.answers.get(email.id, [])


FRIDAY_5PM = dt.datetime(2027, 1, 15, 17, 0, tzinfo=dt.UTC)


def _labelled(id: str, *expected: tuple[tuple[str, ...], dt.datetime | None]) -> LabelledEmail:
    email = EmailForExtraction(
        id=id,
        subject="Month end",
        body="Please approve the invoice, send the Q3 report and the budget, pick up the dry cleaning.",
        sender="a@example.com",
        sent_at=dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.UTC),
        timezone="UTC",
    )
    return LabelledEmail(email, tuple(ExpectedTask("deadline", due, keywords) for keywords, due in expected))


def test_it_scores_tasks_right_per_half_by_title_form_and_due() -> None:
    tune, holdout = ["t1", "t2", "t3", "t4"], ["t0", "t8", "t9", "t10", "t11"]
    assert {half_of(id) for id in tune} == {"tune"} and {half_of(id) for id in holdout} == {"holdout"}
    emails = [
        _labelled("t1", (("approve", "invoice"), FRIDAY_5PM)),
        # A greedy pairing in the labeller's order would give "Send the Q3 report" to the first and lose one.
        _labelled("t2", (("report",), None), (("q3", "report"), None)),
        _labelled("t3"),
        _labelled("t4"),
        _labelled("t0", (("approve", "invoice"), FRIDAY_5PM)),
        _labelled("t8", (("budget",), FRIDAY_5PM)),
        _labelled("t9", (("dry cleaning",), None)),
        _labelled("t10"),
        _labelled("t11", (("call", "becca"), None)),
    ]
    extractor = ScriptedExtractor(
        {
            "t1": [_task("Approve the Hostwise invoice", due=FRIDAY_5PM + dt.timedelta(minutes=30))],
            "t2": [_task("Send the Q3 report"), _task("Send the report")],
            "t3": [_task("Send the numbers")],
            "t0": [_task("I will approve the invoice", due=FRIDAY_5PM)],
            "t8": [_task("Send the budget", due=FRIDAY_5PM + dt.timedelta(hours=2))],
            "t9": [_task("Pick up the dry cleaning", due=FRIDAY_5PM)],
            "t10": [_task(f"Read the budget part {n}") for n in range(MAX_TASKS_PER_EMAIL + 1)],
        }
    )
    result = evaluate_emails(extractor, emails, tolerance=dt.timedelta(hours=1))
    t, h, every = result.halves["tune"], result.halves["holdout"], result.halves["all"]

    assert (t.emails, t.expected_tasks, t.tasks_right, t.titles_right) == (4, 3, 3, 3)
    assert (t.no_task_emails_with_tasks, t.no_task_emails, t.unpaired_tasks) == (1, 2, 1)
    assert (t.has_task.precision, t.has_task.recall) == (pytest.approx(2 / 3), 1.0)
    assert t.has_task.f1 == pytest.approx(0.8)
    assert t.over_cap == []

    assert (h.emails, h.expected_tasks, h.tasks_right, h.titles_right) == (5, 4, 0, 2)
    assert (h.no_task_emails_with_tasks, h.no_task_emails, h.unpaired_tasks) == (1, 1, 6)
    assert (h.has_task.tp, h.has_task.fp, h.has_task.fn) == (3, 1, 1)
    assert h.over_cap == ["t10"]
    assert h.misses == [
        "t0: [approve invoice] due 2027-01-15T17:00+00:00 - 'I will approve the invoice' starts with 'i', "
        "not a verb or a meeting's name",
        "t8: [budget] due 2027-01-15T17:00+00:00 - 'Send the budget' due 2027-01-15T19:00+00:00",
        "t9: [dry cleaning] due none - 'Pick up the dry cleaning' due 2027-01-15T17:00+00:00",
        "t10: no task expected, got " + "; ".join(f"'Read the budget part {n}'" for n in range(6)),
        "t11: [call becca] due none - no title names it (got no task)",
    ]

    assert (every.emails, every.expected_tasks, every.tasks_right) == (9, 7, 3)
    assert every.task_accuracy == pytest.approx(3 / 7)
    assert every.no_task_rate == pytest.approx(2 / 3)

    table = render_halves_table(result, "mailbox")
    assert "1.000 (3/3)" in table and "0.000 (0/4)" in table and "0.429 (3/7)" in table
    assert "1/2" in table and "2/3" in table
    assert f"emails over {MAX_TASKS_PER_EMAIL} tasks" in table


def test_the_keywords_must_be_in_the_title_not_only_in_the_evidence() -> None:
    emails = [_labelled("t1", (("invoice",), None))]
    vague = ExtractedTask(title="Approve it", kind="todo", evidence="Please approve the invoice.")
    result = evaluate_emails(ScriptedExtractor({"t1": [vague]}), emails)
    assert result.matched_tasks == 1  # the lenient first table reads the evidence too
    assert result.halves["all"].tasks_right == 0


def test_an_html_part_is_read_as_the_mail_parser_renders_it(tmp_path: Path) -> None:
    html = (
        "<p>Hi Marta,</p><p>Please handle these:</p><table><tr><td>Send the rooming list</td>"
        "<td>12 March</td></tr></table><p>Thanks,<br>Emma</p>"
    )
    line = json.loads(_labelled_line())
    del line["body"]
    line["html"] = html
    (email,) = load_labelled_emails(write(tmp_path, "html.jsonl", json.dumps(line)))
    assert "Send the rooming list" in email.email.body
    assert "<td>" not in email.email.body and "<p>" not in email.email.body


def test_it_rejects_a_labelled_email_without_body_or_html(tmp_path: Path) -> None:
    line = json.loads(_labelled_line())
    del line["body"]
    with pytest.raises(ValueError, match=r"no-body\.jsonl:1.*body \(or html\)"):
        load_labelled_emails(write(tmp_path, "no-body.jsonl", json.dumps(line)))


@pytest.mark.parametrize(
    "path",
    [DEFAULT_MAILBOX_PATH, DEFAULT_MAILBOX2_PATH, DEFAULT_MAILBOX3_PATH, DEFAULT_MAILBOX4_PATH],
    ids=["mailbox", "mailbox2", "mailbox3", "mailbox4"],
)
def test_the_bundled_mailbox_is_well_formed(path: Path) -> None:
    raw_lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    emails = load_labelled_emails(path)
    assert len(emails) == len(raw_lines) >= 80
    ids = [labelled.email.id for labelled in emails]
    assert len(set(ids)) == len(ids)
    for raw, labelled in zip(raw_lines, emails, strict=True):
        email = labelled.email
        assert email.reader.names and email.reader.addresses, email.id
        assert email.sender_name and email.to, email.id
        assert email.reader_role != "unknown", email.id  # a list address leaves the reader "not_listed"
        for item in raw["expected"]:
            due = item["due"]
            if due is not None:
                assert dt.datetime.fromisoformat(due).tzinfo is not None, email.id
        for expected in labelled.expected:
            assert expected.kind in ("deadline", "meeting", "todo"), email.id
            assert expected.title_keywords and all(k.strip() for k in expected.title_keywords), email.id
            # An email asks for things after it was sent.
            assert expected.due is None or expected.due > email.sent_at, email.id
    for half in ("tune", "holdout"):
        mine = [labelled for labelled in emails if half_of(labelled.email.id) == half]
        assert any(labelled.expected for labelled in mine), half
        assert any(not labelled.expected for labelled in mine), half
    no_task = sum(not labelled.expected for labelled in emails)
    assert len(emails) / 4 <= no_task <= len(emails) / 2


# --- management commands: need Django settings (pytest-django) ------------------------------------------


def _call(name: str, *args: str, stdin: str | None = None) -> str:
    pytest.importorskip("pytest_django")
    from django.core.management import call_command

    out = StringIO()
    kwargs: dict[str, object] = {"stdout": out}
    if stdin is not None:
        kwargs["stdin"] = StringIO(stdin)
    call_command(name, *args, **kwargs)
    return out.getvalue()


@pytest.fixture
def django_ready(request: pytest.FixtureRequest) -> None:
    if not request.config.pluginmanager.hasplugin("django"):
        pytest.skip("needs pytest-django and scheduler_site.settings")


def test_extract_tasks_writes_one_json_line_per_email(django_ready: None) -> None:
    lines = [
        json.dumps(
            {
                "id": "a",
                "subject": "Q3",
                "body": "Could you send me the Q3 report by Friday EOD?",
                "sender": "x@example.com",
                "sent_at": "2026-03-04T10:00:00-05:00",
                "timezone": "America/New_York",
            }
        ),
        json.dumps(
            {
                "id": "b",
                "subject": "",
                "body": "Nice weather.",
                "sender": "",
                "sent_at": "2026-03-04T10:00:00+00:00",
                "timezone": "UTC",
            }
        ),
    ]
    output = [json.loads(line) for line in _call("extract_tasks", stdin="\n".join(lines) + "\n").splitlines()]
    assert output[0]["id"] == "a"
    assert output[0]["tasks"] == [
        {
            "title": "Send the Q3 report",
            "due": "2026-03-06T17:00:00-05:00",
            "kind": "deadline",
            "duration_minutes": None,
            "priority": "normal",
            "evidence": "Could you send me the Q3 report by Friday EOD?",
        }
    ]
    assert output[1] == {"id": "b", "tasks": []}


def test_extract_tasks_reports_a_bad_line_and_carries_on(django_ready: None) -> None:
    good = json.dumps(
        {"id": "ok", "body": "Please call me.", "sent_at": "2026-03-04T10:00:00Z", "timezone": "UTC"}
    )
    lines = [
        "{not json",
        json.dumps({"id": 7, "body": "Please call.", "sent_at": "2026-03-04T10:00:00", "timezone": "UTC"}),
        json.dumps(
            {"id": "z", "body": "Please call.", "sent_at": "2026-03-04T10:00:00Z", "timezone": "Mars/Base"}
        ),
        json.dumps({"subject": "no id"}),
        good,
    ]
    output = [json.loads(line) for line in _call("extract_tasks", stdin="\n".join(lines)).splitlines()]
    assert output[0]["id"] is None and "invalid JSON" in output[0]["error"]
    assert output[1] == {"id": 7, "error": "sent_at needs a UTC offset: '2026-03-04T10:00:00'"}
    assert output[2]["id"] == "z" and "unknown IANA timezone" in output[2]["error"]
    assert output[3] == {"id": None, "error": "missing field 'id'"}
    assert output[4]["id"] == "ok" and len(output[4]["tasks"]) == 1


def test_extract_tasks_rejects_an_unknown_extractor(django_ready: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Unknown task extractor"):
        _call("extract_tasks", "--extractor", "nope", stdin="")


def test_extract_tasks_defaults_to_the_configured_extractor(django_ready: None, settings: Settings) -> None:
    from django.core.management.base import CommandError

    settings.TASK_EXTRACTOR = "not-registered"
    with pytest.raises(CommandError, match="not-registered"):
        _call("extract_tasks", stdin="")


def test_evaluate_extractor_prints_both_tables(django_ready: None, tmp_path: Path) -> None:
    jsonl = write(tmp_path, "emails.jsonl", _labelled_line())
    output = _call("evaluate_extractor", "--emails", str(jsonl), "--tolerance-minutes", "30")
    assert "tune half" in output and "holdout half" in output
    assert "due within 30 min" in output


def test_evaluate_extractor_fails_clearly_on_a_missing_file(django_ready: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no such file"):
        _call("evaluate_extractor", "--intent", "/nonexistent.tsv", "--emails", "")


def test_evaluate_extractor_prints_the_mailbox_halves_and_tune_misses(
    django_ready: None, tmp_path: Path
) -> None:
    jsonl = write(
        tmp_path,
        "mailbox.jsonl",
        "\n".join(
            [
                _labelled_line(id="t1"),
                _labelled_line(id="t0", body="Nice weather.", expected=[]),
                _labelled_line(
                    id="t8",
                    body="Lunch was great.",
                    expected=[{"kind": "todo", "due": None, "title_keywords": ["lunch"]}],
                ),
            ]
        ),
    )
    output = _call(
        "evaluate_extractor",
        *("--intent", "", "--emails", "", "--mailbox2", "", "--mailbox3", "", "--mailbox4", ""),
        *("--mailbox", str(jsonl), "--misses", "tune"),
    )
    assert "mailbox, tune/holdout halves" in output
    assert "Not right in the tune half of the mailbox (0):" in output
    assert "t8:" not in output  # a holdout miss stays hidden when asking for the tune half

    output = _call(
        "evaluate_extractor",
        *("--intent", "", "--emails", "", "--mailbox2", "", "--mailbox3", "", "--mailbox4", ""),
        *("--mailbox", str(jsonl), "--misses", "holdout"),
    )
    assert "t8: [lunch] due none - no title names it (got no task)" in output


def test_evaluate_extractor_scores_the_second_mailbox_on_its_own(django_ready: None, tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    jsonl = write(tmp_path, "mailbox2.jsonl", _labelled_line(id="t1"))
    output = _call(
        "evaluate_extractor",
        *("--intent", "", "--emails", "", "--mailbox", "", "--mailbox3", "", "--mailbox4", ""),
        *("--mailbox2", str(jsonl), "--misses", "all"),
    )
    assert "second mailbox, tune/holdout halves" in output
    assert "Not right in all of the second mailbox" in output
    assert "mailbox, tune/holdout" not in output.replace("second mailbox, tune/holdout", "")

    with pytest.raises(CommandError, match="no such file"):
        _call(
            "evaluate_extractor",
            "--intent",
            "",
            "--emails",
            "",
            "--mailbox",
            "",
            "--mailbox2",
            "/no/such.jsonl",
        )


def test_evaluate_extractor_scores_the_third_mailbox_on_its_own(django_ready: None, tmp_path: Path) -> None:
    jsonl = write(tmp_path, "mailbox3.jsonl", _labelled_line(id="t1"))
    output = _call(
        "evaluate_extractor",
        *("--intent", "", "--emails", "", "--mailbox", "", "--mailbox2", ""),
        *("--mailbox3", str(jsonl), "--mailbox4", ""),
    )
    assert "third mailbox, tune/holdout halves" in output
    assert "second mailbox" not in output


def test_evaluate_extractor_needs_something_to_evaluate(django_ready: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nothing to evaluate"):
        _call(
            "evaluate_extractor",
            *(
                "--intent",
                "",
                "--emails",
                "",
                "--mailbox",
                "",
                "--mailbox2",
                "",
                "--mailbox3",
                "",
                "--mailbox4",
                "",
            ),
        )


def test_a_plain_body_reaches_the_extractor_as_synced_mail_would(tmp_path: Path) -> None:
    """Quoted history and a signature are stripped from ``body`` as the mail parser strips them from a
    synced message; a forward keeps the forwarded note."""
    reply = (
        "Sure, I will look at it.\n\nCould you book the lab for Monday?\n\n-- \nKatrin Vogel\nLab manager\n\n"
        "On Tue, 3 Mar 2026 at 09:00, Ana <ana@example.com> wrote:\n> Please send the invoice by Friday.\n"
    )
    forward = "Can you handle this?\n\n---------- Forwarded message ---------\nFrom: Shop <s@example.com>\n"
    forward += "Subject: Pickup\n\nPlease collect your parcel within 48 hours.\n"
    path = write(
        tmp_path,
        "set.jsonl",
        "\n".join(
            [
                _labelled_line(id="r1", body=reply),
                _labelled_line(id="f1", subject="Fwd: Pickup", body=forward),
            ]
        ),
    )
    replied, forwarded = load_labelled_emails(path)
    assert "book the lab" in replied.email.body
    assert "invoice" not in replied.email.body
    assert "Lab manager" not in replied.email.body
    assert "collect your parcel" in forwarded.email.body


def test_evaluate_extractor_scores_only_the_sets_named(django_ready: None, tmp_path: Path) -> None:
    """Naming one set must not run the extractor over every bundled set too (a paid extractor would pay for
    hundreds of emails nobody asked about)."""
    jsonl = write(tmp_path, "mine.jsonl", _labelled_line(id="t1"))
    output = _call("evaluate_extractor", "--intent", "", "--mailbox3", str(jsonl))
    assert "third mailbox, tune/holdout halves" in output
    for other in ("labelled emails", "mailbox, tune", "second mailbox", "fourth mailbox"):
        assert other not in output.replace("third mailbox, tune", "")
