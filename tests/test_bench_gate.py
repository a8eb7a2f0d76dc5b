"""The gate of `bench/pages.py --ci` (bench/gate.py): a figure over its threshold fails it
with a message naming the figure, its value and the threshold; figures within pass; the
last line and bench/RESULTS.md's section. No app start."""
from __future__ import annotations

import math

import pytest

from bench import gate

THRESHOLDS = {
    "cpu_ratio": gate.Threshold(6.0, 1.5, "noise"),
    "admin_max_delta_kb": gate.Threshold(300.0, 1.3, "exact sizes"),
    "errors": gate.Threshold(0.0, 1.0, "none"),
}


def within() -> dict[str, float | None]:
    return {"cpu_ratio": 8.9, "admin_max_delta_kb": 390.0, "errors": 0.0}


def test_figures_within_their_thresholds_pass():
    assert gate.check(within(), THRESHOLDS) == []


def test_a_figure_over_its_threshold_fails_naming_figure_value_and_threshold():
    figures = {**within(), "cpu_ratio": 12.4}
    failures = gate.check(figures, THRESHOLDS)
    assert len(failures) == 1
    assert "cpu_ratio" in failures[0]
    assert "12.4" in failures[0]
    assert "9" in failures[0]  # the threshold: 6 × 1.5


def test_a_doubled_cost_fails_every_ci_threshold():
    """The point of the margins: a change that doubles a figure of today's main fails."""
    for key, t in gate.CI.items():
        if t.today == 0:
            continue
        assert t.margin < 2, key
        assert gate.check({key: t.today * 2}, {key: t}), key


def test_todays_figures_pass_the_ci_gate():
    assert gate.check({k: t.today for k, t in gate.CI.items()}) == []


def test_one_error_fails():
    failures = gate.check({**within(), "errors": 1.0}, THRESHOLDS)
    assert failures and failures[0].startswith("errors = 1")


@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_figure_not_measured_fails(missing):
    failures = gate.check({**within(), "admin_max_delta_kb": missing}, THRESHOLDS)
    assert failures == ["admin_max_delta_kb: not measured (threshold ≤ 390)"]


def test_last_line_keeps_todays_keys_first_and_prints_na():
    line = gate.last_line({"cpu_ratio": 6.384, "p95_500_ms": 33.21, "rss_kb_per_client": 567.6,
                           "admin_ratio": math.nan})
    assert line.startswith("pages: cpu_ratio=6.38 p50_ratio=n/a p95_500_ms=33.2 heavy_ratio=n/a max_delta_kb=n/a "
                           "rss_kb_per_client=568 admin_ratio=n/a ")
    assert line.endswith("pg_capacity_ratio=n/a login_to_tiles_ms=n/a")


def test_results_section_replaced_and_the_rest_of_the_file_untouched(tmp_path):
    path = tmp_path / "RESULTS.md"
    meta = {"mode": "--ci", "date": "2026-12-07", "commit": "abc1234", "cores": "2"}
    gate.write_results(path, {"cpu_ratio": 7.0}, meta)
    text = path.read_text()
    assert text.count(gate.START) == 1 and "| `cpu_ratio` | 7.00 |" in text and "abc1234" in text

    path.write_text("# Speed\n\nhand-written figures\n\n" + text + "\n## Other bench\nkept\n")
    gate.write_results(path, {"cpu_ratio": 5.5}, {**meta, "commit": "def5678"})
    text = path.read_text()
    assert text.startswith("# Speed\n\nhand-written figures\n")
    assert text.endswith("## Other bench\nkept\n")
    assert text.count(gate.START) == 1 and text.count(gate.END) == 1
    assert "| `cpu_ratio` | 5.50 |" in text and "def5678" in text and "abc1234" not in text
