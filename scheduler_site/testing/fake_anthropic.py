"""A fake Anthropic Messages API on loopback, for tests and for trying the Claude extractor by hand.

It speaks the wire format the real service speaks where we depend on it: ``POST /v1/messages`` with
``Authorization: Bearer <key>`` and an ``anthropic-version`` header; replies with
``{"id", "type": "message", "role", "model", "content": [{"type": "text", "text"}], "stop_reason",
"stop_sequence", "usage": {"input_tokens", "output_tokens", "cache_creation_input_tokens",
"cache_read_input_tokens"}}`` and a ``request-id`` header; errors as
``{"type": "error", "error": {"type", "message"[, "details": {"error_code"}]}, "request_id"}`` with the
real status codes (400 ``invalid_request_error`` with the API's wording, 401, 429 + ``retry-after``, 500,
529). A prompt longer than ``context_window`` gets the API's 400 "prompt is too long: N tokens > M
maximum"; an answer that needs more than the request's ``max_tokens`` is cut off with stop_reason
``max_tokens``; a refusal has stop_reason ``refusal`` and ``stop_details.category``; a thinking block may
precede the text. Prompt caching is imitated: a system block with ``cache_control`` whose prefix reaches
the model's minimum (``cache_min_tokens_for``) is written to the cache on first use and read afterwards; a
shorter prefix is silently not cached, as the real service does. The prefix is laid out in the real
order, tools, then system, then messages: a ``cache_control`` on the last system block covers the tool
definitions too, one on a tool covers only the tools. ``POST /v1/messages/count_tokens`` answers
``{"input_tokens"}``. Token figures come from ``approximate_tokens``, a deterministic approximation: the real
tokenizer is not published.

Tools: a request with ``tools`` is answered with a ``tool_use`` block (``id``, ``name``, ``input``: the
scripted reply's JSON object) and stop_reason ``tool_use``, unless ``tool_choice`` is ``none``, the scripted
text is not a JSON object, or the reply is ``Reply.text_answer`` (a model that wrote its answer as text).
Like the real service it adds the tool-use system prompt the API puts in front of the tools
(``TOOL_USE_SYSTEM_PROMPT_TOKENS``) and refuses a ``tool_choice`` that forces a tool (``any``/``tool``)
while thinking is on, which it is when ``thinking`` is ``enabled``/``adaptive`` or, without ``thinking``,
on the models that think by default (``THINKS_BY_DEFAULT``): 400 "Thinking may not be enabled when
tool_choice forces tool use."

Message Batches: ``POST /v1/messages/batches`` answers every request as ``POST /v1/messages`` would (scripted
replies in request order; ``Reply.batch_expired()`` for a request that expired), ``GET
/v1/messages/batches/<id>`` shows the batch ``in_progress`` until ``batch_seconds`` have passed (or
``end_batches()``), then ``ended`` with its ``results_url``, whose JSON lines come in another order than the
requests, as the real ones may. ``batch_error`` makes every batch call fail with that reply's error.

Tests script the answers (``server.script(Reply.json({...}), Reply.overloaded(), ...)``); each request
takes the next scripted reply, or ``default`` when the script is empty. ``server.requests`` logs every
request (headers and JSON body).

By hand: ``python -m scheduler_site.testing.fake_anthropic --port 8765 [--reply-file answers.jsonl]`` and
``ANTHROPIC_BASE_URL=http://127.0.0.1:8765 ANTHROPIC_API_KEY=test-key``; each line of the reply file is
the JSON answer for one request (the last line repeats), else every answer is ``{"tasks": []}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "FakeAnthropic",
    "RecordedRequest",
    "Reply",
    "answer_task",
    "approximate_tokens",
    "cache_min_tokens_for",
]

_ids = itertools.count(1)


# A deterministic stand-in for the real tokenizer, which is not published. It counts a token per started
# 8 letters of a word (most English words are one token), per started 3 digits and per started 2
# characters of a punctuation run: about 4 characters per token on English prose, a little denser on
# JSON, addresses and dates. It errs low rather than high, so a prompt the fake finds long enough to cache
# is likely long enough for the real service too. Figures from the fake (``count_tokens``, ``usage``) are
# this approximation, never the real count.
_PIECES = re.compile(r"[^\W\d_]+|\d+|[^\w\s]+|_")


def approximate_tokens(text: str) -> int:
    count = 0
    for piece in _PIECES.findall(text):
        if piece[0].isdigit():
            count += -(-len(piece) // 3)
        elif piece[0].isalpha():
            count += -(-len(piece) // 8)
        else:
            count += -(-len(piece) // 2)
    return count


def _tokens(text: str) -> int:
    return max(1, approximate_tokens(text))


# The shortest cacheable prefix per model, as the providers' documentation published it. Below it the
# real service answers normally and silently caches nothing. Claude Haiku 5.5 has no published figure
# here, so it (like any model not listed) gets the strictest one known, 4,096 tokens, as Haiku 4.5 has.
CACHE_MIN_TOKENS = {
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    "claude-sonnet-4-6": 2048,
    "claude-haiku-3-5": 2048,
    "claude-sonnet-4-5": 1024,
    "claude-opus-4-1": 1024,
    "claude-opus-4-0": 1024,
    "claude-sonnet-4-0": 1024,
}
DEFAULT_CACHE_MIN_TOKENS = 4096


# The tool-use system prompt the API adds to a request with tools, by tool_choice, as published for the
# Claude 4 models (no figure is published for the 5.5 models). It sits with the tool definitions at the
# start of the prompt, so it is cached with them.
TOOL_USE_SYSTEM_PROMPT_TOKENS = {"auto": 346, "none": 346, "any": 313, "tool": 313}
# Models that think unless the request says ``thinking: {"type": "disabled"}``. Claude Haiku 5.5 is
# documented to; Sonnet 5.5 is assumed to as well, the stricter choice for a fake.
THINKS_BY_DEFAULT = ("claude-haiku-5-5", "claude-sonnet-5-5")
FORCED_TOOL_WITH_THINKING = "Thinking may not be enabled when tool_choice forces tool use."


def thinking_enabled(body: dict[str, Any]) -> bool:
    """Whether the request is answered with thinking on: as the ``thinking`` parameter says, else the
    model's default."""
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type"):
        return thinking["type"] != "disabled"
    model = str(body.get("model", ""))
    return any(model == family or model.startswith(family + "-") for family in THINKS_BY_DEFAULT)


def _tool_problem(body: dict[str, Any]) -> str:
    """The API's 400 message for the request's ``tools`` and ``tool_choice``, or "" when they are valid."""
    tools = body.get("tools")
    if tools is not None and not isinstance(tools, list):
        return "tools: Input should be a valid list"
    names = []
    for index, tool in enumerate(tools or []):
        for key in ("name", "input_schema"):
            if not isinstance(tool, dict) or key not in tool:
                return f"tools.{index}.{key}: Field required"
        if not isinstance(tool["input_schema"], dict) or tool["input_schema"].get("type") != "object":
            return f"tools.{index}.input_schema.type: Input should be 'object'"
        names.append(tool["name"])
    choice = body.get("tool_choice")
    if choice is None:
        return ""
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind not in TOOL_USE_SYSTEM_PROMPT_TOKENS:
        return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'"
    if kind in ("any", "tool") and not names:
        return "tool_choice: a forced tool choice needs tools"
    if kind == "tool" and choice.get("name") not in names:
        return f"tool_choice.name: no tool named {choice.get('name')!r} in tools"
    return ""


def cache_min_tokens_for(model: str) -> int:
    """The caching minimum the fake applies to ``model`` (dated ids match their family)."""
    for family, minimum in CACHE_MIN_TOKENS.items():
        if model == family or model.startswith(family + "-"):
            return minimum
    return DEFAULT_CACHE_MIN_TOKENS


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a slow reply closes the socket; that is the point of the slow fault.
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def answer_task(title: str, evidence: str, **fields: object) -> dict[str, object]:
    """One task in the answer schema of tasks_app.extractors.claude (every field present, as structured output gives)."""
    task: dict[str, object] = {
        "title": title,
        "kind": "todo",
        "date_phrase": None,
        "due_iso": None,
        "duration_minutes": None,
        "priority": "normal",
        "confidence": 0.9,
        "evidence": evidence,
        "notes": "",
        "thread_action": "new",
        "thread_ref": None,
    }
    task.update(fields)
    return task


@dataclass
class Reply:
    """One scripted answer of the fake."""

    status: int = 200
    text: str = '{"tasks": []}'
    stop_reason: str = "end_turn"
    error_type: str = ""
    error_message: str = ""
    error_code: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    output_tokens: int | None = None
    # A refusal's ``stop_details.category`` ("cyber", "bio", ...; None: a refusal with no named category).
    refusal_category: str | None = None
    # Thinking text shown before the answer (a thinking block, as models that think by default send).
    thinking: str = ""
    # Output tokens the whole answer needs, thinking included: a request whose max_tokens is lower gets
    # the answer cut off there with stop_reason "max_tokens", as the real service does.
    needs_tokens: int | None = None
    # The model writes its answer as text even though the request offers tools (tool_choice "auto").
    as_text: bool = False
    # In a Message Batch: the request's result is this instead of an answer ("expired", "canceled").
    batch_outcome: str = ""

    @classmethod
    def json(cls, answer: object, **kwargs: Any) -> Reply:
        return cls(text=json.dumps(answer), **kwargs)

    @classmethod
    def tasks(cls, *tasks: dict[str, object], **kwargs: Any) -> Reply:
        return cls.json({"tasks": list(tasks)}, **kwargs)

    @classmethod
    def batch_expired(cls) -> Reply:
        """In a Message Batch: the request was not processed within the batch's 24 hours."""
        return cls(batch_outcome="expired")

    @classmethod
    def text_answer(cls, answer: object) -> Reply:
        """The answer as JSON text instead of a tool call, as a model given tool_choice "auto" may do."""
        return cls(text=json.dumps(answer), as_text=True)

    @classmethod
    def invalid_json(cls, text: str = '{"tasks": [{"title": "Send the report", "kind": ') -> Reply:
        return cls(text=text)

    @classmethod
    def truncated(cls, answer: object) -> Reply:
        """An answer cut off by ``max_tokens``: the JSON stops half-way, as the real service leaves it."""
        full = json.dumps(answer)
        return cls(text=full[: max(1, len(full) * 2 // 3)], stop_reason="max_tokens")

    @classmethod
    def error(
        cls,
        status: int,
        error_type: str,
        message: str,
        *,
        error_code: str = "",
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = f"{retry_after:g}"
        return cls(
            status=status, error_type=error_type, error_message=message, error_code=error_code, headers=extra
        )

    @classmethod
    def rate_limited(cls, retry_after: float = 0.01) -> Reply:
        return cls.error(
            429,
            "rate_limit_error",
            "This request would exceed your organization's rate limit. Please try again later.",
            retry_after=retry_after,
        )

    @classmethod
    def overloaded(cls, retry_after: float | None = None) -> Reply:
        return cls.error(529, "overloaded_error", "Overloaded", retry_after=retry_after)

    @classmethod
    def server_error(cls, retry_after: float | None = None) -> Reply:
        return cls.error(500, "api_error", "Internal server error", retry_after=retry_after)

    @classmethod
    def spend_limit(cls) -> Reply:
        return cls.error(
            429,
            "rate_limit_error",
            "You have reached your specified API usage limits. You will regain access on 2026-12-01.",
            error_code="enforced_spend_limit_reached",
            retry_after=0.01,
        )

    @classmethod
    def bad_request(cls, message: str) -> Reply:
        """A 400 about the request itself, with one of the API's messages (see the helpers below)."""
        return cls.error(400, "invalid_request_error", message)

    @classmethod
    def effort_not_supported(cls, effort: str = "xhigh") -> Reply:
        return cls.bad_request(
            f"output_config.effort '{effort}' is not supported when thinking is disabled on this model. "
            "Use effort 'high' or below, or enable thinking."
        )

    @classmethod
    def extra_inputs(cls, name: str = "output_config") -> Reply:
        return cls.bad_request(f"{name}: Extra inputs are not permitted")

    @classmethod
    def prompt_too_long(cls, tokens: int = 208656, maximum: int = 200000) -> Reply:
        return cls.bad_request(f"prompt is too long: {tokens} tokens > {maximum} maximum")

    @classmethod
    def refusal(cls, category: str | None = "cyber") -> Reply:
        """The model declines: stop_reason "refusal" with ``stop_details`` naming the category."""
        return cls(text="", stop_reason="refusal", refusal_category=category)

    @classmethod
    def long_answer(cls, answer: object, *, needs_tokens: int, thinking: str = "") -> Reply:
        """An answer that needs ``needs_tokens`` output tokens (thinking included) to finish."""
        return cls(text=json.dumps(answer), needs_tokens=needs_tokens, thinking=thinking)

    @classmethod
    def auth_error(cls) -> Reply:
        return cls.error(401, "authentication_error", "invalid x-api-key")

    @classmethod
    def slow(cls, seconds: float, then: Reply | None = None) -> Reply:
        reply = then or cls()
        reply.delay = seconds
        return reply


_BATCH_PATH = re.compile(r"/v1/messages/batches/(?P<id>[A-Za-z0-9_]+)(?P<results>/results)?")
_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


@dataclass
class _Batch:
    """A Message Batch: its results are decided at creation and shown once it ends."""

    id: str
    created: float
    ends: float
    requests: list[dict[str, Any]]  # as sent: {"custom_id", "params"}
    results: list[dict[str, Any]]

    @property
    def ended(self) -> bool:
        return time.time() >= self.ends

    def as_json(self, base_url: str) -> dict[str, Any]:
        """The batch object of ``GET /v1/messages/batches/<id>``: request counts by outcome once it ends."""
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for line in self.results:
            counts[line["result"]["type"] if self.ended else "processing"] += 1

        def stamp(moment: float) -> str:
            return dt.datetime.fromtimestamp(moment, dt.UTC).isoformat().replace("+00:00", "Z")

        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": "ended" if self.ended else "in_progress",
            "request_counts": counts,
            "created_at": stamp(self.created),
            "expires_at": stamp(self.created + 24 * 3600),
            "ended_at": stamp(self.ends) if self.ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if self.ended else None,
        }


@dataclass
class _Prompt:
    """A request's input split at its cache breakpoint; ``*_extra`` are tokens the API adds (the tool-use
    system prompt) on either side."""

    prefix: str
    rest: str
    prefix_extra: int = 0
    rest_extra: int = 0

    @property
    def prefix_tokens(self) -> int:
        return approximate_tokens(self.prefix) + self.prefix_extra

    @property
    def rest_tokens(self) -> int:
        return _tokens(self.rest) + self.rest_extra


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def user_text(self) -> str:
        """The text of the last user turn (string or text blocks)."""
        messages = self.body.get("messages") or [] if isinstance(self.body, dict) else []
        if not messages:
            return ""
        content = messages[-1].get("content")
        if isinstance(content, str):
            return content
        return "".join(block.get("text", "") for block in content or [] if isinstance(block, dict))

    @property
    def system_text(self) -> str:
        system = self.body.get("system") if isinstance(self.body, dict) else None
        if isinstance(system, str):
            return system
        return "".join(block.get("text", "") for block in system or [] if isinstance(block, dict))


class FakeAnthropic:
    """The fake server; use as a context manager or call ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        port: int = 0,
        default: Reply | Callable[[RecordedRequest], Reply] | None = None,
        cache_min_tokens: int | None = None,
        context_window: int | None = None,
        batch_seconds: float = 0.0,
    ) -> None:
        self.api_key = api_key
        # A Message Batch ends this many seconds after it was created (``end_batches()`` ends them now).
        self.batch_seconds = batch_seconds
        self.batches: dict[str, _Batch] = {}
        # When set, every call to the batch endpoints gets this error (an outage, a refused account).
        self.batch_error: Reply | None = None
        # Prompts of more tokens than this get the API's 400 "prompt is too long"; None: no limit.
        self.context_window = context_window
        self.default = default or Reply()
        # Below this many prefix tokens the real service silently does not cache; None: the model's own
        # minimum (cache_min_tokens_for), a number: the same minimum for every model.
        self.cache_min_tokens = cache_min_tokens
        self.requests: list[RecordedRequest] = []
        self._script: list[Reply] = []
        self._cached_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/messages"]

    def start(self) -> FakeAnthropic:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-anthropic",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeAnthropic:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return self.default(request) if callable(self.default) else self.default

    def _split_prompt(self, body: dict[str, Any]) -> _Prompt:
        """The request's input in the real order (tools, system, messages), cut after the last block with
        ``cache_control``: what is before the cut is the cacheable prefix."""
        segments: list[tuple[str, bool]] = []
        tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict)]
        for tool in tools:
            definition = {key: value for key, value in tool.items() if key != "cache_control"}
            segments.append((json.dumps(definition), bool(tool.get("cache_control"))))
        system = body.get("system")
        if isinstance(system, list):
            segments += [
                (str(block.get("text", "")), bool(block.get("cache_control")))
                for block in system
                if isinstance(block, dict)
            ]
        elif isinstance(system, str):
            segments.append((system, False))
        for message in body.get("messages") or []:
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str):
                segments.append(("\n" + content, False))
            elif isinstance(content, list):
                segments += [
                    (
                        "\n" + (b.get("text", "") if b.get("type") == "text" else json.dumps(b)),
                        bool(b.get("cache_control")),
                    )
                    for b in content
                    if isinstance(b, dict)
                ]
        marked = [i for i, (_, cached) in enumerate(segments) if cached]
        cut = marked[-1] + 1 if marked else 0
        prompt = _Prompt(
            prefix="".join(text for text, _ in segments[:cut]),
            rest="".join(text for text, _ in segments[cut:]),
        )
        if tools:
            choice = body.get("tool_choice") or {}
            kind = choice.get("type", "auto") if isinstance(choice, dict) else "auto"
            overhead = TOOL_USE_SYSTEM_PROMPT_TOKENS.get(kind, TOOL_USE_SYSTEM_PROMPT_TOKENS["auto"])
            # The tool-use system prompt comes with the tools: cached when they are.
            if cut >= len(tools):
                prompt.prefix_extra = overhead
            else:
                prompt.rest_extra = overhead
        output_format = (body.get("output_config") or {}).get("format")
        if output_format:
            prompt.rest += json.dumps(output_format)
        return prompt

    def count_tokens(self, body: dict[str, Any]) -> int:
        """What ``POST /v1/messages/count_tokens`` answers: every input token of the request, cached or not
        (the fake's approximation, see ``approximate_tokens``)."""
        prompt = self._split_prompt(body)
        return prompt.prefix_tokens + prompt.rest_tokens

    def _usage(self, body: dict[str, Any], output_text: str, reply: Reply) -> dict[str, int]:
        prompt = self._split_prompt(body)
        model = str(body.get("model", ""))
        minimum = self.cache_min_tokens if self.cache_min_tokens is not None else cache_min_tokens_for(model)
        cache_read = cache_write = 0
        prefix_tokens = prompt.prefix_tokens
        input_tokens = prompt.rest_tokens
        if prompt.prefix and prefix_tokens >= minimum:
            key = f"{model}\n{prompt.prefix_extra}\n{prompt.prefix}"
            with self._lock:
                if key in self._cached_prefixes:
                    cache_read = prefix_tokens
                else:
                    self._cached_prefixes.add(key)
                    cache_write = prefix_tokens
        else:
            input_tokens += prefix_tokens
        return {
            "input_tokens": input_tokens,
            "output_tokens": reply.output_tokens if reply.output_tokens is not None else _tokens(output_text),
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
        }

    def create_batch(self, requests: list[dict[str, Any]]) -> _Batch:
        """Answer every request of a new Message Batch as ``POST /v1/messages`` would (scripted replies in
        request order, no delays); the answers are its results once it ends. A scripted
        ``Reply.batch_expired()`` gives that request the ``expired`` result."""
        results = []
        for item in requests:
            params = item.get("params")
            body = params if isinstance(params, dict) else {}
            request = RecordedRequest("POST", "/v1/messages", {}, body)
            peek = self._peek_reply()
            if peek is not None and peek.batch_outcome:
                self._next_reply(request)
                results.append({"custom_id": item["custom_id"], "result": {"type": peek.batch_outcome}})
                continue
            status, payload, _ = self.answer(body, request, wait=False)
            result = (
                {"type": "succeeded", "message": payload}
                if status == 200
                else {"type": "errored", "error": payload}
            )
            results.append({"custom_id": item["custom_id"], "result": result})
        batch = _Batch(
            id=f"msgbatch_fake{next(_ids):06d}",
            created=time.time(),
            ends=time.time() + self.batch_seconds,
            requests=requests,
            results=results,
        )
        with self._lock:
            self.batches[batch.id] = batch
        return batch

    def end_batches(self) -> None:
        """End every batch now, as if its 24 hours of processing were over."""
        with self._lock:
            for batch in self.batches.values():
                batch.ends = min(batch.ends, time.time())

    def _peek_reply(self) -> Reply | None:
        with self._lock:
            return self._script[0] if self._script else None

    def answer(
        self, body: dict[str, Any], request: RecordedRequest, *, wait: bool = True
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON payload, extra headers) of ``POST /v1/messages`` for ``body``, taking the next
        scripted reply; ``wait=False`` skips the reply's delay (a batch answers without one)."""
        for key in ("model", "max_tokens", "messages"):
            if key not in body:
                return _error_reply(400, "invalid_request_error", f"{key}: Field required")
        problem = _tool_problem(body)
        choice = body.get("tool_choice") or {}
        if not problem and choice.get("type") in ("any", "tool") and thinking_enabled(body):
            problem = FORCED_TOOL_WITH_THINKING
        if problem:
            return _error_reply(400, "invalid_request_error", problem)
        prompt_tokens = (
            _tokens(json.dumps(body.get("system", "")))
            + _tokens(json.dumps(body["messages"]))
            + (_tokens(json.dumps(body["tools"])) if body.get("tools") else 0)
        )
        if self.context_window is not None and prompt_tokens > self.context_window:
            return _error_reply(
                400,
                "invalid_request_error",
                f"prompt is too long: {prompt_tokens} tokens > {self.context_window} maximum",
            )
        reply = self._next_reply(request)
        if reply.delay and wait:
            time.sleep(reply.delay)
        if reply.status != 200:
            return _error_reply(
                reply.status,
                reply.error_type,
                reply.error_message,
                code=reply.error_code,
                headers=reply.headers,
            )
        text, stop_reason, usage = reply.text, reply.stop_reason, self._usage(body, reply.text, reply)
        if reply.needs_tokens is not None:
            if reply.needs_tokens > int(body["max_tokens"]):
                # Cut where the budget ran out: the thinking may take it all, the JSON stops midway.
                share = max(0, int(body["max_tokens"]) - _tokens(reply.thinking))
                text, stop_reason = text[: min(len(text) - 1, share * 4)], "max_tokens"
                usage["output_tokens"] = int(body["max_tokens"])
            else:
                usage["output_tokens"] = reply.needs_tokens
        content: list[dict[str, Any]] = []
        if reply.thinking:
            content.append({"type": "thinking", "thinking": reply.thinking, "signature": "fake-sig"})
        call = _tool_call(body, reply, text) if stop_reason in ("end_turn", "tool_use") else None
        if call is not None:
            content.append(call)
            stop_reason = "tool_use"
        elif text or stop_reason != "refusal":
            content.append({"type": "text", "text": text})
        payload: dict[str, Any] = {
            "id": f"msg_fake{next(_ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }
        if stop_reason == "refusal":
            payload["stop_details"] = {
                "type": "refusal",
                "category": reply.refusal_category,
                "explanation": "The request was declined under the usage policy.",
            }
        return 200, payload, reply.headers

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.send_header("request-id", payload.get("request_id") or f"req_fake{next(_ids):06d}")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(
                self,
                status: int,
                error_type: str,
                message: str,
                *,
                code: str = "",
                headers: dict[str, str] | None = None,
            ) -> None:
                error: dict[str, Any] = {"type": error_type, "message": message}
                if code:
                    error["details"] = {"error_code": code}
                request_id = f"req_fake{next(_ids):06d}"
                self._send(status, {"type": "error", "error": error, "request_id": request_id}, headers)

            def _count_tokens(self, body: dict[str, Any]) -> None:
                # Counting is free and unscripted on the real service too: it never takes a scripted reply.
                for key in ("model", "messages"):
                    if key not in body:
                        self._error(400, "invalid_request_error", f"{key}: Field required")
                        return
                problem = _tool_problem(body)
                if problem:
                    self._error(400, "invalid_request_error", problem)
                    return
                self._send(200, {"input_tokens": fake.count_tokens(body)})

            def _refused(self, request: RecordedRequest) -> bool:
                """Answer a request without a valid key or version header with the API's error."""
                if (
                    request.headers.get("authorization") != f"Bearer {fake.api_key}"
                    and request.headers.get("x-api-key") != fake.api_key
                ):
                    self._error(401, "authentication_error", "invalid x-api-key")
                    return True
                if not request.headers.get("anthropic-version"):
                    self._error(400, "invalid_request_error", "anthropic-version: header is required")
                    return True
                return False

            def do_GET(self) -> None:
                request = RecordedRequest(
                    "GET", self.path.split("?")[0], {k.lower(): v for k, v in self.headers.items()}, None
                )
                with fake._lock:
                    fake.requests.append(request)
                found = _BATCH_PATH.fullmatch(request.path)
                if found is None:
                    self._error(404, "not_found_error", f"Not found: {self.path}")
                    return
                if self._refused(request) or self._batch_failed():
                    return
                batch = fake.batches.get(found["id"])
                if batch is None:
                    self._error(404, "not_found_error", f"message_batch {found['id']} not found")
                    return
                if not found["results"]:
                    self._send(200, batch.as_json(fake.base_url))
                    return
                if not batch.ended:
                    self._error(
                        400, "invalid_request_error", "The batch has not ended: it has no results yet."
                    )
                    return
                data = "".join(json.dumps(line) + "\n" for line in reversed(batch.results)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/binary")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _batch_failed(self) -> bool:
                fault = fake.batch_error
                if fault is None:
                    return False
                self._error(
                    fault.status,
                    fault.error_type,
                    fault.error_message,
                    code=fault.error_code,
                    headers=fault.headers,
                )
                return True

            def _create_batch(self, body: dict[str, Any]) -> None:
                if self._batch_failed():
                    return
                requests = body.get("requests")
                if not isinstance(requests, list) or not requests:
                    self._error(400, "invalid_request_error", "requests: Field required")
                    return
                ids = [item.get("custom_id") if isinstance(item, dict) else None for item in requests]
                if any(not isinstance(i, str) or not _CUSTOM_ID.fullmatch(i) for i in ids):
                    self._error(
                        400, "invalid_request_error", "requests: custom_id must match ^[a-zA-Z0-9_-]{1,64}$"
                    )
                    return
                if len(set(ids)) != len(ids):
                    self._error(400, "invalid_request_error", "requests: custom_id must be unique in a batch")
                    return
                self._send(200, fake.create_batch(requests).as_json(fake.base_url))

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                request = RecordedRequest(
                    "POST", self.path.split("?")[0], {k.lower(): v for k, v in self.headers.items()}, body
                )
                with fake._lock:
                    fake.requests.append(request)
                if request.path not in ("/v1/messages", "/v1/messages/count_tokens", "/v1/messages/batches"):
                    self._error(404, "not_found_error", f"Not found: {request.path}")
                    return
                if self._refused(request):
                    return
                if not isinstance(body, dict):
                    self._error(400, "invalid_request_error", "The request body is not valid JSON.")
                    return
                if request.path == "/v1/messages/count_tokens":
                    self._count_tokens(body)
                    return
                if request.path == "/v1/messages/batches":
                    self._create_batch(body)
                    return
                status, payload, headers = fake.answer(body, request)
                self._send(status, payload, headers)

        return Handler


def _error_reply(
    status: int, error_type: str, message: str, *, code: str = "", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """An error answer in the API's shape."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if code:
        error["details"] = {"error_code": code}
    payload = {"type": "error", "error": error, "request_id": f"req_fake{next(_ids):06d}"}
    return status, payload, dict(headers or {})


def _tool_call(body: dict[str, Any], reply: Reply, text: str) -> dict[str, Any] | None:
    """The ``tool_use`` block answering a request that offers tools: the tool forced by ``tool_choice``,
    else the first one, with the scripted JSON object as its input. None when the answer is text: no
    tools, ``tool_choice`` none, a ``Reply.text_answer``, or scripted text that is not a JSON object."""
    tools = [tool for tool in body.get("tools") or [] if isinstance(tool, dict)]
    choice = body.get("tool_choice") or {}
    if not tools or choice.get("type") == "none" or reply.as_text:
        return None
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    name = choice.get("name") if choice.get("type") == "tool" else tools[0]["name"]
    return {"type": "tool_use", "id": f"toolu_fake{next(_ids):06d}", "name": name, "input": answer}


def _file_replies(path: str) -> Callable[[RecordedRequest], Reply]:
    with open(path, encoding="utf-8") as handle:
        answers = [line.strip() for line in handle if line.strip()]
    counter = itertools.count()

    def reply(_request: RecordedRequest) -> Reply:
        index = min(next(counter), len(answers) - 1)
        return Reply(text=answers[index]) if answers else Reply()

    return reply


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Anthropic Messages API on loopback.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument(
        "--reply-file", default="", help="JSON lines, one answer per request (the last repeats)."
    )
    args = parser.parse_args(argv)
    server = FakeAnthropic(
        api_key=args.api_key,
        port=args.port,
        default=_file_replies(args.reply_file) if args.reply_file else None,
    )
    print(f"Fake Anthropic API on {server.base_url} (key {args.api_key!r}); Ctrl-C stops it.", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()


if __name__ == "__main__":
    main()
