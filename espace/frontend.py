"""The compiled frontend, built once per version of its sources and reused.

`reflex export --frontend-only` (Reflex's compile + `react-router build`) takes minutes on
a 2-core machine; its output depends only on the app's code, its assets, the Reflex
configuration and the JavaScript lockfile, never on the port or host it will be served
from (espace/web/same_origin.py). So it is built once for a given content of those
files — their SHA-256 is the cache key — into `.cache/frontend/<key>/build/client`
(ESPACE_FRONTEND_CACHE moves it), in a private copy of the app so the checkout is never
written to (Reflex rewrites `.gitignore` and `reflex.lock/` where it builds), and every
server of that version (`make run`, `python -m espace serve`, each app the tests and the
benches start) serves that same directory. A changed page changes the key: the next
start builds again. Concurrent starts (pytest-xdist workers) wait on a lock and build
once."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# What the compiled frontend is made of. The whole `espace` package, not just espace/web:
# pages are built at compile time from the domain's vocabulary and services' constants.
SOURCES = ("espace", "assets", "rxconfig.py", "reflex.lock", "requirements.txt")
# The settings read while the pages are compiled (upload_zone: the size limit in the hint).
COMPILE_SETTINGS = ("MAX_UPLOAD_MB",)
# The fixed address the build is made with (the bundle ignores it: same-origin at run time).
BUILD_ENV = {"PORT": "3000", "BASE_URL": "http://localhost:3000", "REFLEX_ENV_MODE": "prod",
             "REFLEX_USE_NPM": "1", "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org",
             "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "0"}
_SKIP_DIRS = {"__pycache__", ".web", ".states", "external"}


class BuildError(Exception):
    """The frontend could not be built (the build's own messages were printed above)."""


def cache_dir(root: Path = ROOT) -> Path:
    return Path(os.environ.get("ESPACE_FRONTEND_CACHE") or root / ".cache" / "frontend").resolve()


def _files(root: Path):
    for name in SOURCES:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                for filename in sorted(filenames):
                    if not filename.endswith((".pyc", ".pyo")):
                        yield Path(dirpath) / filename


def source_key(root: Path = ROOT, env: Mapping[str, str] | None = None) -> str:
    """SHA-256 of every source file (path and content) and of the compile-time settings
    (read from `env`, by default this process's environment)."""
    values: Mapping[str, str] = os.environ if env is None else env
    digest = hashlib.sha256()
    for path in _files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name in COMPILE_SETTINGS:
        digest.update(f"{name}={values.get(name, '')}\0".encode())
    return digest.hexdigest()[:20]


def built_dir(root: Path = ROOT, key: str | None = None, env: Mapping[str, str] | None = None) -> Path:
    """Reflex's web directory of this version: `<it>/build/client` is what is served."""
    return cache_dir(root) / (key or source_key(root, env))


def is_built(web_dir: Path) -> bool:
    return (web_dir / "build" / "client" / "index.html").is_file()


def _lock_key(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "reflex.lock").glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _copy_app(root: Path, dest: Path) -> None:
    ignore = shutil.ignore_patterns(*_SKIP_DIRS, "*.pyc", "*.pyo")
    for name in SOURCES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def ensure_built(root: Path = ROOT, log=None, env: Mapping[str, str] | None = None) -> Path:
    """The web directory of the current sources, built now if no earlier start built it
    (`env`: the environment the app will run with, by default this process's)."""
    values = dict(os.environ if env is None else env)
    key = source_key(root, values)
    target = built_dir(root, key)
    if is_built(target):
        return target
    cache = cache_dir(root)
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same version
        if not is_built(target):
            _build(root, key, cache, target, log, values)
            prune(root, current=target)  # the cache keeps the last few versions, not every one
    return target


def _build(root: Path, key: str, cache: Path, target: Path, log, base_env: dict) -> None:
    out = log or sys.stdout
    print(f"Construction de l'interface (version {key}) : quelques minutes, une fois par version.",
          file=out, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"build-{key}-", dir=cache) as tmp:
        app = Path(tmp) / "app"
        app.mkdir()
        _copy_app(root, app)
        # node_modules depend on the lockfile alone: kept beside the builds, hard-linked in.
        modules = cache / f"node_modules-{_lock_key(root)}"
        web = app / ".web"
        if modules.is_dir():
            web.mkdir()
            subprocess.run(["cp", "-al", str(modules), str(web / "node_modules")], check=True)
        reflex = Path(sys.executable).with_name("reflex")
        env = {**base_env, **BUILD_ENV, "DATA_DIR": str(Path(tmp) / "data"),
               "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
        for name in ("REFLEX_DB_URL", "REFLEX_REDIS_URL", "REFLEX_WEB_WORKDIR", "REFLEX_SKIP_COMPILE"):
            env.pop(name, None)
        command = [str(reflex) if reflex.exists() else "reflex", "export", "--frontend-only", "--no-zip",
                   "--env", "prod"]
        done = subprocess.run(command, cwd=app, env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
                              check=False)
        if done.returncode != 0 or not is_built(web):
            raise BuildError("La construction de l'interface (reflex export) a échoué : voir les messages ci-dessus.")
        if not modules.is_dir() and (web / "node_modules").is_dir():
            staged = Path(tempfile.mkdtemp(prefix="node_modules-", dir=cache))
            subprocess.run(["cp", "-al", str(web / "node_modules"), str(staged / "m")], check=True)
            with contextlib.suppress(OSError):  # kept by another build meanwhile
                (staged / "m").rename(modules)
            shutil.rmtree(staged, ignore_errors=True)
        staged_target = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=cache))
        (web / "build").rename(staged_target / "build")
        staged_target.rename(target)
    print(f"Interface construite : {target}", file=out, flush=True)


def prune(root: Path = ROOT, keep: int = 3, current: Path | None = None) -> list[Path]:
    """Remove all but the `keep` most recent builds (never `current`, by default this
    process's version); what was removed. Called after each new build."""
    cache = cache_dir(root)
    current = current or built_dir(root)
    builds = sorted((p for p in cache.glob("*") if p.is_dir() and is_built(p) and p != current),
                    key=lambda p: p.stat().st_mtime, reverse=True)
    removed = builds[max(keep - 1, 0):]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


if __name__ == "__main__":  # `make frontend`: build this version's frontend if it is not built yet
    print(ensure_built())
