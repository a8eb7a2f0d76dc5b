"""`python -m espace serve`: the worker count and the refusals an operator sees, without
starting a server (the supervised server itself is tested in tests/e2e/test_supervised_server.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from espace import frontend, server
from espace.config import Settings
from tests.infra import free_port

ROOT = Path(__file__).resolve().parent.parent
REDIS = "redis://127.0.0.1:6379/0"


def test_default_worker_count_is_one_without_redis_and_one_per_core_up_to_four_with_it():
    assert server.worker_count(None, None, cpus=8) == 1
    assert server.worker_count(None, REDIS, cpus=2) == 2
    assert server.worker_count(None, REDIS, cpus=16) == 4
    assert server.worker_count(None, REDIS, cpus=None) == 1


def test_a_requested_count_is_kept_when_allowed():
    assert server.worker_count(1, None, cpus=8) == 1
    assert server.worker_count(6, REDIS, cpus=2) == 6


def test_several_workers_without_redis_or_fewer_than_one_are_refused():
    with pytest.raises(server.ServeError, match="REFLEX_REDIS_URL"):
        server.worker_count(2, None, cpus=8)
    with pytest.raises(server.ServeError, match="au moins 1"):
        server.worker_count(0, REDIS, cpus=8)


def test_workers_setting_is_read_from_the_environment():
    assert Settings(WORKERS="3").workers == 3


def run_cli(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"REFLEX_DB_URL", "REFLEX_REDIS_URL", "WORKERS"}}
    base.update(DATA_DIR=str(tmp_path / "var"), PYTHONWARNINGS="ignore", **env)
    return subprocess.run([sys.executable, "-m", "espace", "serve", *args], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=60)


def test_cli_refuses_several_workers_without_redis_in_french(tmp_path):
    for args, env in ((("--workers", "2"), {}), ((), {"WORKERS": "3"})):
        r = run_cli(tmp_path, *args, **env)
        assert r.returncode == 2, r.stderr
        assert "processus demandés sans Redis" in r.stderr
        assert "REFLEX_REDIS_URL" in r.stderr
        assert "Traceback" not in r.stderr


def test_cli_option_wins_over_the_setting(tmp_path):
    # WORKERS=1 allows it, --workers 2 asks for more: refused without Redis.
    r = run_cli(tmp_path, "--workers", "2", WORKERS="1")
    assert r.returncode == 2
    assert "2 processus demandés" in r.stderr


def test_cli_refuses_a_worker_count_that_is_not_a_number(tmp_path):
    r = run_cli(tmp_path, "--workers", "deux")
    assert r.returncode == 2
    assert "invalid int value" in r.stderr or "valeur" in r.stderr


def test_cli_refuses_to_start_when_the_configured_redis_does_not_answer(tmp_path):
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    r = run_cli(tmp_path, "--workers", "2", REFLEX_REDIS_URL=url)
    assert r.returncode == 2
    assert f"Redis ne répond pas ({url})" in r.stderr
    assert "Traceback" not in r.stderr


def test_serve_is_listed_in_the_help(tmp_path):
    r = subprocess.run([sys.executable, "-m", "espace", "-h"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert "serve" in r.stdout
    r = run_cli(tmp_path, "-h")
    assert "--workers" in r.stdout and "Redis" in r.stdout


def test_no_build_is_refused_when_no_frontend_was_built(tmp_path, monkeypatch):
    monkeypatch.setenv("ESPACE_FRONTEND_CACHE", str(tmp_path / "cache"))
    (tmp_path / "espace").mkdir()
    (tmp_path / "espace" / "page.py").write_text("TITLE = 'Accueil'\n")
    with pytest.raises(server.ServeError, match="sans --no-build"):
        server.check_built(tmp_path)
    built = frontend.built_dir(tmp_path) / "build" / "client"
    built.mkdir(parents=True)
    (built / "index.html").write_text("<html></html>")
    assert server.check_built(tmp_path) == frontend.built_dir(tmp_path)
    # A changed page is a new version: its frontend was never built.
    (tmp_path / "espace" / "page.py").write_text("TITLE = 'Mon accueil'\n")
    with pytest.raises(server.ServeError, match="sans --no-build"):
        server.check_built(tmp_path)


def test_the_supervisor_backs_off_a_crash_loop_and_forgives_a_worker_that_served():
    """espace/supervisor.py's schedule (the running supervisor: test_supervised_server.py's crash loop)."""
    from espace.supervisor import GIVE_UP_STREAK, MAX_DELAY, Backoff

    backoff = Backoff()
    delays = [backoff.failed(0, lived=2.0) for _ in range(10)]
    assert delays[:6] == [0.0, 0.25, 0.5, 1.0, 2.0, 4.0]
    assert max(delays) == MAX_DELAY == delays[-1]
    assert backoff.failed(1, lived=2.0) == 0.0  # the other slot has its own count
    assert backoff.failed(0, lived=3600.0) == 0.0  # a worker that served an hour starts the count again
    assert backoff.failed(0, lived=1.0) == 0.25
    assert not Backoff(streaks={0: GIVE_UP_STREAK, 1: GIVE_UP_STREAK - 1}).hopeless(2)
    assert Backoff(streaks={0: GIVE_UP_STREAK, 1: GIVE_UP_STREAK}).hopeless(2)
