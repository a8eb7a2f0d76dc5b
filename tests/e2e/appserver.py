"""Start and stop the real app (`python -m espace serve`) with its own DATA_DIR and port; used
by the browser tests and the benchmarks.

Every app serves the SAME compiled frontend: built once per version of the code
(espace/frontend.py, `.cache/frontend/<key>`), port-independent (the bundle talks to its
page's own origin, espace/web/same_origin.py). An app start is a migration, the demo and
the workers' start: seconds, not a frontend build.

Two paths (`ESPACE_E2E_PATH`, or `start_app(path=...)`):
- "production": a fresh PostgreSQL database of its own (migrated with Alembic by
  `python -m espace migrate`, demo loaded), a private Redis (tests/infra.py) and
  `python -m espace serve --workers 2`; both are removed by `stop_app`. A PostgreSQL or
  Redis that cannot be reached fails the run. The browser tests' default
  (tests/e2e/conftest.py).
- "embedded": SQLite in DATA_DIR, one process, tab states in memory: what `make run`
  serves. The benches' default; the browser tests marked `embedded` run on it too."""
from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, port: int) -> dict:
    venv_bin = str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
        "DATA_DIR": str(data_dir),
        "PORT": str(port),
        "BASE_URL": f"http://localhost:{port}",
        "DEMO": "1",
        "REFLEX_USE_NPM": "1",
        "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "LOGIN_IP_MAX_FAILURES": "1000",
        # Every test browser logs in from 127.0.0.1 without a device cookie.
        "LOGIN_EVENTS_PER_ADDRESS": "1000",
        "CHECKS_PER_ADDRESS": "1000",
        "PASSKEY_OPTIONS_PER_ADDRESS": "1000",
        # The app's outbox worker writes the emails within a second; shares are
        # grouped over 3 seconds instead of 5 minutes.
        "OUTBOX_POLL_SECONDS": "1",
        "SHARE_GROUP_MINUTES": "0.25",
    }


PATHS = ("production", "embedded")
E2E_PATH = os.environ.get("ESPACE_E2E_PATH", "embedded")
if E2E_PATH not in PATHS:
    raise RuntimeError(f"ESPACE_E2E_PATH={E2E_PATH!r}: one of {PATHS}")
SCALE = E2E_PATH == "production"
SCALE_WORKERS = 2


class Server:
    def __init__(self, url: str, data_dir: Path, env: dict):
        self.url = url
        self.data_dir = data_dir
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.argv: list[str] = []
        self._sessions: _SessionMaker | None = None

    @property
    def db_url(self) -> str:
        """The app's database (SQLite in DATA_DIR, or REFLEX_DB_URL)."""
        return self.env.get("REFLEX_DB_URL") or f"sqlite:///{(self.data_dir / 'espace.db').resolve()}"

    def sql(self, statement: str, params: dict | None = None) -> list[tuple]:
        """Run one SQL statement on the app's database (committed); its rows, if any.
        Portable SQL only: `"user"` quoted, named parameters (`:name`)."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.db_url, poolclass=sa.pool.NullPool,
                                  **({"connect_args": {"timeout": 30}} if self.db_url.startswith("sqlite") else {}))
        try:
            with engine.begin() as conn:
                result = conn.execute(sa.text(statement), params or {})
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def recount(self) -> None:
        """After items written with sql(): the clients' maintained counts (tiles, totals)
        recomputed, `python -m espace recount --repair` on the app's database."""
        subprocess.run([sys.executable, "-m", "espace", "recount", "--repair"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True, timeout=120)

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "espace", *args], cwd=ROOT, env=self.env,
                             capture_output=True, text=True, check=True)
        return out.stdout

    def open_session(self, identifier: str, password: str, user_agent: str = "") -> dict:
        """A logged-in session made by the services as the login page makes it (auth.login,
        then the ticket exchanged by auth.open_session: same checks, last login, audit), for
        a test that needs someone logged in but does not test the login: {"token", "home",
        "label"}. One helper process per app (`_SessionMaker`), not a process per call."""
        if self._sessions is None:
            self._sessions = _SessionMaker(self.env)
        return self._sessions.open(identifier, password, user_agent)

    def close_sessions(self) -> None:
        if self._sessions is not None:
            self._sessions.close()
            self._sessions = None

    def emails_to(self, address: str) -> list[email.message.EmailMessage]:
        """The emails written so far to `address`, oldest first (no waiting)."""
        files = sorted(self.outbox.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        msgs = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]
        return [m for m in msgs if address in str(m["To"])]

    def wait_for_emails(self, address: str, count: int = 1, timeout: float = 15) -> list[email.message.EmailMessage]:
        """Wait until at least `count` emails to `address` are written (the app's
        outbox worker sends them in the background), then return them all."""
        deadline = time.time() + timeout
        while True:
            msgs = self.emails_to(address)
            if len(msgs) >= count or time.time() > deadline:
                return msgs
            time.sleep(0.25)

    def link_in_last_email(self, address: str, path: str, expect_at_least: int = 1) -> str:
        msgs = self.wait_for_emails(address, expect_at_least)
        assert msgs, f"no email to {address}"
        body = msgs[-1].get_body(preferencelist=("plain",)).get_content()
        match = re.search(rf"https?://\S+{re.escape(path)}\?jeton=[\w-]+", body)
        assert match, body
        return match.group(0)


# The login's two service calls, in a process of the app's environment (its database),
# one JSON line in, one out: a Python start and the app's imports cost a second or two per
# process on a loaded machine, so one process serves every session of a test run's app.
_SESSION_MAKER = r"""
import json, sys
from espace.services.accounts import auth
from espace.services.accounts.cookies import firm_label_for
for line in sys.stdin:
    identifier, password, user_agent = json.loads(line)
    result = auth.login(identifier, password, "127.0.0.1")
    opened = auth.open_session(result.ticket, result.browser_key, user_agent=user_agent,
                               ip="127.0.0.1") if result.ok else None
    if opened is None:
        answer = {"error": result.error or "second factor or ticket refused"}
    else:
        token, user = opened
        answer = {"token": token, "home": auth.home_path_for(user),
                  "label": firm_label_for(user.firm_id if user else None)}
    print(json.dumps(answer), flush=True)
"""


class _SessionMaker:
    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-c", _SESSION_MAKER], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def open(self, identifier: str, password: str, user_agent: str) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([identifier, password, user_agent]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the session helper process ended")
        answer = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"no session for {identifier}: {answer['error']}")
        return answer  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_BUILT: dict[str, Path] = {}


def frontend_for(env: dict) -> Path:
    """The compiled frontend the app of `env` serves: built once per version (and per
    compile-time setting, e.g. MAX_UPLOAD_MB), printed on the terminal when it is built."""
    from espace import frontend

    key = frontend.source_key(ROOT, env)
    if key not in _BUILT:
        _BUILT[key] = frontend.ensure_built(ROOT, env=env)
    return _BUILT[key]


# What stop_app must remove after the app of a process id (its database, its Redis).
_CLEANUPS: dict[int, list] = {}


def _server_command(workers: int) -> list[str]:
    """THE place that chooses how the app is served: `python -m espace serve --no-build`
    (its process is the supervisor of the worker processes, see worker_pids), on the
    frontend built by frontend_for."""
    return [sys.executable, "-m", "espace", "serve", "--no-build", "--workers", str(workers)]


def start_app(data_dir: Path, port: int | None = None, extra_env: dict | None = None,
              workers: int | None = None, prepare: bool = True,
              scale: bool | None = None) -> tuple[Server, subprocess.Popen]:
    """The app on `port` with its own DATA_DIR, migrated, demo loaded (`prepare=False`: no
    `migrate`/`demo`, for a second instance on a shared database, or a restart). `scale`
    (default: ESPACE_E2E_PATH=production): on a new PostgreSQL database + a private Redis
    (unless `extra_env` names them), served with `workers` (default 2); else SQLite, one
    worker."""
    from tests import infra

    port = port or _free_port()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # private, as the portal makes it (check-storage)
    scale = SCALE if scale is None else scale
    cleanups: list = []
    scale_env: dict = {}
    given = extra_env or {}
    if scale:
        workers = workers or SCALE_WORKERS
        if "REFLEX_DB_URL" not in given:
            db_name, db_url = infra.create_database("espace_test_app")
            cleanups.append(lambda: infra.drop_database(db_name))
            scale_env["REFLEX_DB_URL"] = db_url
        if "REFLEX_REDIS_URL" not in given:
            redis = infra.RedisServer(data_dir / "redis")
            redis.start()
            cleanups.append(redis.stop)
            scale_env["REFLEX_REDIS_URL"] = redis.url
    env = {**_env(data_dir, port), **scale_env, **given}
    argv = _server_command(workers or 1)
    srv = Server(f"http://localhost:{port}", data_dir, env)
    try:
        frontend_for(env)
        if prepare:
            srv.cli("migrate")
            srv.cli("demo")
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    return _spawn(srv, argv, cleanups)


def restart_app(srv: Server, proc: subprocess.Popen) -> tuple[Server, subprocess.Popen]:
    """The app of `srv` started again after `proc` ended (killed): the same DATA_DIR,
    database and Redis (what `stop_app` removes passes to the new process), a new port."""
    if proc.poll() is None:
        raise RuntimeError("restart_app: the app is still running (stop or kill it first)")
    cleanups = _CLEANUPS.pop(proc.pid, [])
    port = _free_port()
    env = {**srv.env, "PORT": str(port), "BASE_URL": f"http://localhost:{port}"}
    again = Server(f"http://localhost:{port}", srv.data_dir, env)
    return _spawn(again, srv.argv, cleanups)


def _spawn(srv: Server, argv: list[str], cleanups: list) -> tuple[Server, subprocess.Popen]:
    """Start the server process of `srv` and wait until it answers."""
    data_dir = srv.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "server.log", "a")  # noqa: SIM115  (the server writes to it while it runs)
    proc = subprocess.Popen(argv, cwd=ROOT, env=srv.env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    _CLEANUPS[proc.pid] = cleanups
    srv.proc, srv.argv = proc, argv
    deadline = time.time() + 120
    while True:
        if proc.poll() is not None:
            for cleanup in reversed(_CLEANUPS.pop(proc.pid, [])):
                cleanup()
            raise RuntimeError("the app did not start:\n" + (data_dir / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"{srv.url}/connexion", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            stop_app(proc)
            raise RuntimeError("the app did not answer in time")
        time.sleep(0.2)
    return srv, proc


def worker_pids(proc: subprocess.Popen) -> list[int]:
    """The worker processes of a `serve` supervisor: its child processes, read from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == proc.pid and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return sorted(children)


def stop_app(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    for cleanup in reversed(_CLEANUPS.pop(proc.pid, [])):
        cleanup()
