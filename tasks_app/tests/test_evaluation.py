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
    BinaryScore,
    evaluate_emails,
    evaluate_intent,
    half_of,
    load_intent_tsv,
    load_labelled_emails,
    render_emails_table,
    render_intent_table,
)
from tasks_app.extractors import EmailForExtraction, ExtractedTask


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
