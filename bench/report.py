"""What a bench run found: figures against the issue's targets, the checks of counts, and the two outputs
(docs/benchmarks.md and a JSON file)."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    scenario: str
    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    ratio: float | None = None
    ratio_of: str = ""  # what the ratio divides by
    passed: bool | None = None  # None: no target, or not measured in this run (e.g. times in --quick)
    note: str = ""


@dataclass
class Check:
    """A count that must hold in every run, --quick included (no timing)."""

    name: str
    ok: bool
    detail: str


@dataclass
class Results:
    settings: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, bool(ok), detail))

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def say(text: str) -> None:
    """A progress line on stdout, with the time: a full run takes minutes."""
    print(f"{time.strftime('%H:%M:%S')}   {text}", flush=True)


def ratio(value: float, reference: float) -> float | None:
    return value / reference if reference else None


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 40 samples is the 38th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def write_json(results: Results, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": machine(),
        "settings": results.settings,
        "figures": [asdict(f) for f in results.figures],
        "checks": [asdict(c) for c in results.checks],
        "details": results.details,
        "seconds": results.seconds,
    }
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def read_json(path: Path) -> Results:
    """The results a run wrote with ``write_json`` (to write its markdown again)."""
    data = json.loads(path.read_text())
    return Results(
        settings=data["settings"],
        figures=[Figure(**f) for f in data["figures"]],
        checks=[Check(**c) for c in data["checks"]],
        details=data["details"],
        seconds=data["seconds"],
    )


def _fmt(value: float | int | str) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def _load(settings: dict[str, Any], when: str) -> str:
    load = settings.get(f"load_average_at_{when}")
    return ", ".join(f"{x:.1f}" for x in load) if load else "not recorded"


def _verdict(passed: bool | None) -> str:
    return {True: "pass", False: "**miss**", None: ""}[passed]


def write_markdown(results: Results, path: Path, *, intro: str) -> None:
    info = machine()
    s = results.settings
    lines = [
        "# Benchmarks",
        "",
        intro.strip(),
        "",
        f"Measured with `{s['command']}` on {info['cpu_count']} CPUs, Python {info['python']}, "
        f"{info['platform']}; database {s['database']}. Google answered after {s['google_latency_ms']} ms per "
        f"request, Claude after {s['claude_latency_ms']} ms; EXTRACTION_CONCURRENCY {s['extraction_concurrency']}"
        f"{' (the setting does not exist on this commit: 1)' if not s['extraction_concurrency_set'] else ''}. "
        f"Commit {s['commit']}. Load average (1, 5, 15 min) at the start {_load(s, 'start')}, at the end "
        f"{_load(s, 'end')}: on a shared machine the times are upper bounds.",
        "",
        "| scenario | figure | measured | target (issue 12) | ratio | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for f in results.figures:
        value = f"{_fmt(f.value)} {f.unit}".strip()
        ratio_text = f"{f.ratio:.2f}× {f.ratio_of}".strip() if f.ratio is not None else ""
        lines.append(
            f"| {f.scenario} | {f.name} | {value} | {f.target} | {ratio_text} | {_verdict(f.passed)} |"
        )
    notes = [f for f in results.figures if f.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {f.scenario}, {f.name}: {f.note}" for f in notes]
    lines += ["", "Checks of counts (the ones `--quick` asserts in CI):", ""]
    lines += [f"- {'ok' if c.ok else 'FAILED'}: {c.name} ({c.detail})" for c in results.checks]
    lines += [
        "",
        "Time each scenario took (seconds): "
        + ", ".join(f"{name} {secs:.0f}" for name, secs in results.seconds.items())
        + ".",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
