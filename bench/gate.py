"""The figures of bench/pages.py, their gate and their record (issue 21).

- KEYS: the keys of the bench's last line, in order (`pages: cpu_ratio=… login_to_tiles_ms=…`);
  a figure not measured prints `n/a`.
- TARGETS: the issue's targets. Printed beside each figure as information: they are what
  later work aims at, not what CI enforces.
- CI: `--ci`'s thresholds, « no regression »: each is today's value on main, measured by
  `--ci` itself (its reduced levels and data), times a noise margin. Today's main passes
  with room on a loaded machine; a change that doubles a page's cost does not.
- check(): the gate, a message per figure that misses its threshold (naming the figure,
  its value and the threshold); no message, the gate passes.
- write_results(): the figures into bench/RESULTS.md between its markers, the rest of the
  file untouched.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

KEYS = ("cpu_ratio", "p50_ratio", "p95_500_ms", "heavy_ratio", "max_delta_kb", "rss_kb_per_client",
        "admin_ratio", "admin_max_delta_kb", "admin_rss_kb", "pg_capacity_ratio", "login_to_tiles_ms")

# --ci's own figures beside them (not on the last line): the same heavy/demo comparisons
# in server CPU per navigation, and the errors.
EXTRA = ("heavy_cpu_ratio", "admin_cpu_ratio", "errors")

# Digits printed per figure on the last line (the keys of today's line keep their format).
DIGITS = {"p95_500_ms": 1, "max_delta_kb": 1, "rss_kb_per_client": 0, "admin_max_delta_kb": 1, "admin_rss_kb": 0,
          "login_to_tiles_ms": 0}


@dataclass(frozen=True)
class Target:
    """One of the issue's targets: `limit`, an upper bound unless `at_least`."""

    limit: float
    text: str
    at_least: bool = False

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def show(self) -> str:
        return f"target {'≥' if self.at_least else '≤'} {self.limit:g}"


TARGETS = {
    "cpu_ratio": Target(3.0, "server CPU per navigation ≤ 3× the bare app (on the way to 2×)"),
    "p50_ratio": Target(3.0, "p50 ≤ 3× bare at 1 client, one navigation every 0.6 s"),
    "p95_500_ms": Target(50.0, "p95 at 500 clients, 50 navigations/s, no error"),
    "heavy_ratio": Target(1.5, "the heavy client's pages ≤ 1.5× the demo client's"),
    "max_delta_kb": Target(30.0, "no update over 30 KB"),
    "rss_kb_per_client": Target(400.0, "RSS per connected client"),
    "admin_ratio": Target(1.5, "every /admin page on the 1M-item firm ≤ 1.5× the demo firm's"),
    "heavy_cpu_ratio": Target(1.5, "the same as heavy_ratio, in server CPU per navigation"),
    "admin_cpu_ratio": Target(1.5, "the same as admin_ratio, in server CPU per navigation"),
    "admin_max_delta_kb": Target(30.0, "no /admin update over 30 KB"),
    "admin_rss_kb": Target(400.0, "RSS per lawyer tab"),
    "pg_capacity_ratio": Target(0.8, "PostgreSQL navigations/s ≥ 0.8× SQLite's, one worker", at_least=True),
    "login_to_tiles_ms": Target(400.0, "login → tiles in Chromium (median)"),
    "errors": Target(0.0, "no timeout, redirect or error toast"),
}


@dataclass(frozen=True)
class Threshold:
    """A --ci threshold: today's value × margin (an upper bound)."""

    today: float
    margin: float
    why: str

    @property
    def limit(self) -> float:
        return self.today * self.margin


# `--ci` on main 1af4727 (the app code of every run here), 2026-12-07: 18 runs on this 2-core
# machine, most while five engineers ran tests and browsers on it (load average 0.5 to 24),
# each run 77-88 s:
#
#   figure              min    median  max     max/median  max/min
#   cpu_ratio           5.89   6.80    8.79    1.29        1.49
#   p50_ratio           3.89   5.45    9.47    1.74        2.43   (paced latency: the noisiest)
#   heavy_ratio         3.28   4.04    4.83    1.20        1.47
#   max_delta_kb        10.8   10.8    10.8    1.00        1.00
#   rss_kb_per_client   238    252     271     1.08        1.14
#   admin_ratio         5.98   12.8    15.4    1.21        2.58   (lower under a heavy load: the
#                                                                  demo firm's light pages wait more)
#   admin_max_delta_kb  309.3  309.3   309.3   1.00        1.00
#   admin_rss_kb        1282   1510    1614    1.07        1.26
#
# `today` is the median; each margin covers the largest max/median seen with room to spare
# (a machine busier or quieter than these runs) and stays under 2, so that a change that
# doubles a figure fails at the median run's conditions. The paced p50 moves most with the
# machine's load: its margin is the widest, and what fails a doubled page reliably, from any
# run, is that page's own CPU figure below. Sizes are exact: their margin only lets a page
# grow a little. Re-measure (`bench/pages.py --ci` a few times) and lower `today` when a
# change makes a figure better for good, so that the gate keeps the gain.
CI: dict[str, Threshold] = {
    "cpu_ratio": Threshold(5.6, 1.5, "server CPU per navigation ÷ the bare app's"),
    "p50_ratio": Threshold(5.45, 1.95, "1 client paced: a ~10 ms navigation after 0.6 s idle waits for a core"),
    # 1.61 since the clients' counts are maintained (client_count, 2026-12-08: three --ci runs
    # at load 7-8, 1.45 / 1.61 / 1.64; four runs of the code before, 2.07-2.52).
    "heavy_ratio": Threshold(1.61, 1.5, "the heavy client's p50 ÷ the demo client's, worst of 4 pages"),
    "max_delta_kb": Threshold(10.8, 1.2, "update sizes are exact"),
    "rss_kb_per_client": Threshold(252.0, 1.4, "RSS growth per tab over 25 tabs"),
    "admin_ratio": Threshold(12.8, 1.6, "the heavy firm's p50 ÷ the demo firm's, worst /admin page: 6-15 by load"),
    "admin_max_delta_kb": Threshold(44.0, 1.2, "update sizes are exact"),
    "admin_rss_kb": Threshold(520.0, 1.4, "RSS growth per lawyer tab over 8 tabs"),
    "errors": Threshold(0.0, 1.0, "any timeout, redirect or error toast is a failure"),
}

# Each page's server CPU per navigation ÷ the bare app's, taken between that page's own
# navigations (`cpu×bare <who>/<page>`, bench/pairs.py page_cpu): the ratios above are worsts
# or means over pages, which one page's cost doubling may not move; these do. Today's median
# per page over 4 runs (load average 7-16); over 7 runs (load 0.5-16) every page stayed within
# 0.82-1.43 × today. One margin for all, 1.6: 2 × 0.82 = 1.64 > 1.6, a doubled page fails even
# from the lowest run seen (a doubled /accueil, tried: 10.9 against 6.6 for demo/home).
# 2026-12-08: a navigation is three events (the page left forgotten in the next load):
# cpu_ratio 5.58 (--ci, 47c5618) and 5.59 (--quick), the demo client's pages 3.2-3.9:
# lowered so that the gate keeps the gain.
# 2026-12-08 (issue 21, item 2): the home's tiles, « nouveaux », list totals and unread count
# read from the clients' maintained counts (client_count), « Nouveautés » / « À régler » from
# indexes: the heavy client's pages and the demo client's lists, medians of three --ci runs at
# load 7-8 (heavy/demo: home 1.45, dossier 1.26-1.38, documents 1.19-1.40, late list
# 1.30-1.41; before, four runs: home 2.15-2.37, documents 1.41-1.49, late list 1.25-1.55).
PAGE_CPU_TODAY = {
    "heavy/home": 5.9, "heavy/dossier": 4.36, "heavy/documents": 4.93, "heavy/late list": 4.99,
    "demo/home": 3.4, "demo/dossier": 3.3, "demo/documents": 3.6, "demo/late list": 3.63,
    "heavy firm/firm dossier": 6.5, "heavy firm/clients": 5.63, "heavy firm/dossiers": 8.7,
    "heavy firm/paiements": 4.8,
    "demo firm/firm dossier": 7.76, "demo firm/clients": 4.04, "demo firm/dossiers": 5.62, "demo firm/paiements": 3.75,
}
PAGE_CPU_MARGIN = 1.6
CI.update({f"cpu×bare {page}": Threshold(today, PAGE_CPU_MARGIN, "one page's server CPU per navigation ÷ the bare app's")
           for page, today in PAGE_CPU_TODAY.items()})


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def check(figures: dict[str, float | None], thresholds: dict[str, Threshold] = CI) -> list[str]:
    """A message for every figure over its threshold, or not measured; [] when the gate passes."""
    failures = []
    for key, t in thresholds.items():
        value = figures.get(key)
        if _missing(value):
            failures.append(f"{key}: not measured (threshold ≤ {t.limit:g})")
        elif value is not None and value > t.limit:
            failures.append(f"{key} = {value:g} is over its threshold {t.limit:g} "
                            f"(today's {t.today:g} × margin {t.margin:g}: {t.why})")
    return failures


def fmt(key: str, value: float | None) -> str:
    if _missing(value):
        return "n/a"
    assert value is not None
    return f"{value:.{DIGITS.get(key, 2)}f}"


def last_line(figures: dict[str, float | None]) -> str:
    """`pages: cpu_ratio=… login_to_tiles_ms=…`: every key, `n/a` for a figure not measured."""
    return "pages: " + " ".join(f"{k}={fmt(k, figures.get(k))}" for k in KEYS)


def report(figures: dict[str, float | None], thresholds: dict[str, Threshold] | None = None) -> list[str]:
    """One line per figure: value, its --ci threshold if any, the issue's target (information)."""
    lines = []
    pages = sorted({k for k in [*figures, *(thresholds or {})] if k not in KEYS and k not in EXTRA})
    for key in (*KEYS, *EXTRA, *pages):
        if key not in figures and not (thresholds and key in thresholds):
            continue
        value = figures.get(key)
        parts = [f"  {key:<36} {fmt(key, value):>8}"]
        if thresholds and key in thresholds:
            t = thresholds[key]
            ok = not _missing(value) and value is not None and value <= t.limit
            parts.append(f"threshold ≤ {t.limit:g} ({'ok' if ok else 'FAILED'})")
        target = TARGETS.get(key)
        if target:
            state = "" if _missing(value) or value is None else (" met" if target.met(value) else " not yet")
            parts.append(f"{target.show()}{state}: {target.text}")
        lines.append("   ".join(parts))
    return lines


# --------------------------------------------------------------------------- bench/RESULTS.md
START, END = "<!-- bench:pages:start -->", "<!-- bench:pages:end -->"
NEW_FILE = "# Bench results\n\nFigures written by the benches; each section is replaced by its bench.\n\n"


def results_section(figures: dict[str, float | None], meta: dict[str, str]) -> str:
    """The generated section: when, what, and a table of the figures with the targets."""
    rows = ["| figure | value | target |", "|---|---|---|"]
    pages = sorted(k for k in figures if k not in KEYS and k not in EXTRA)
    for key in (*KEYS, *EXTRA, *pages):
        if key in figures or key in KEYS:
            target = TARGETS.get(key)
            rows.append(f"| `{key}` | {fmt(key, figures.get(key))} | {target.show() if target else ''} |")
    head = (f"`bench/pages.py {meta.get('mode', '')}` on {meta.get('date', '?')}, commit {meta.get('commit', '?')}, "
            f"{meta.get('cores', '?')} cores (load average {meta.get('load', '?')}), {meta.get('db', 'sqlite')}, "
            f"ratios against a bare Reflex app measured in the same run.")
    lines = [START, "<!-- generated by bench/pages.py --write-results: do not edit by hand -->", "", head, "", *rows]
    if meta.get("line"):
        lines += ["", "```", meta["line"], "```"]
    return "\n".join([*lines, END])


def write_results(path: Path, figures: dict[str, float | None], meta: dict[str, str]) -> None:
    """Replace the section between START and END (created at the end of the file, or the
    file created, when absent); nothing else of the file changes."""
    section = results_section(figures, meta)
    text = path.read_text() if path.exists() else NEW_FILE
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
