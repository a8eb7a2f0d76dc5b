"""`python -m espace serve`: the production server, N supervised worker processes on one port.

`reflex run --env prod` builds Granian's server without `respawn_failed_workers`: when one
worker dies (killed, out of memory), Granian stops all of them and nothing restarts the
portal. Here the frontend is built once, the same way (`reflex export --frontend-only`:
Reflex's compile and `react-router build` into `.web/build/client`), then Granian serves
the Reflex app — backend and compiled frontend on the same port, as `reflex run --env prod`
does — with a supervisor that replaces a dead worker while the others keep serving.

Several workers need Redis (`REFLEX_REDIS_URL`): a tab's state must be readable by
whichever worker serves its next event."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# Default worker count with Redis: one per core, at most this many (a worker holds ~150 MB).
MAX_DEFAULT_WORKERS = 4
# Seconds a stopping worker (shutdown, or replacement) gets before it is killed.
WORKERS_KILL_TIMEOUT = 10


class ServeError(Exception):
    """A refusal explained to the operator (in French, like every CLI message)."""


def worker_count(requested: int | None, redis_url: str | None, cpus: int | None) -> int:
    """The number of worker processes: `requested` (--workers, else WORKERS) when allowed,
    else 1 without Redis and min(cores, 4) with Redis."""
    if requested is None:
        return min(cpus or 1, MAX_DEFAULT_WORKERS) if redis_url else 1
    if requested < 1:
        raise ServeError(f"Nombre de processus invalide : {requested} (--workers ou WORKERS, au moins 1).")
    if requested > 1 and not redis_url:
        raise ServeError(
            f"{requested} processus demandés sans Redis. Sans Redis, l'état des pages ouvertes "
            "reste dans la mémoire d'un seul processus : configurez REFLEX_REDIS_URL "
            "(ex. redis://127.0.0.1:6379/0) ou lancez un seul processus (WORKERS=1)."
        )
    return requested


def check_redis(redis_url: str) -> None:
    """Refuse to start when the configured Redis does not answer (as `reflex run` does)."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5).ping()
    except redis.RedisError as exc:
        raise ServeError(f"Redis ne répond pas ({redis_url}) : {exc}") from exc


def build_frontend(root: Path) -> None:
    """Compile the app and build the production frontend into root/.web/build/client."""
    reflex = Path(sys.executable).with_name("reflex")
    command = [str(reflex) if reflex.exists() else "reflex", "export", "--frontend-only", "--no-zip",
               "--env", "prod"]
    if subprocess.run(command, cwd=root, check=False).returncode != 0:
        raise ServeError("La construction de l'interface (reflex export) a échoué : voir les messages ci-dessus.")


def check_built(root: Path) -> None:
    """`serve --no-build` needs a frontend built before (by `serve` or `reflex export`)."""
    if not (root / ".web" / "build" / "client" / "index.html").exists():
        raise ServeError("Aucune interface construite dans .web/build/client : lancez serve sans --no-build.")


def serve(root: Path, workers: int, port: int) -> None:
    """Serve the built app on `port` with `workers` supervised Granian workers (until SIGTERM/SIGINT)."""
    import gc
    import multiprocessing
    import os

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    os.chdir(root)  # Reflex finds rxconfig.py and .web/ from the working directory
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    # Built by build_frontend: the workers neither compile nor build, they mount .web/build/client.
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)

    # As `reflex run --env prod` on Linux: the app is imported once here and the workers are
    # forked from this process, so they share its memory pages and a replacement starts at once.
    multiprocessing.set_start_method("fork", force=True)
    from reflex.utils import prerequisites

    config = get_config()
    prerequisites.get_app()
    gc.collect()
    gc.freeze()  # the workers' garbage collections leave the shared pages shared

    Server(
        target=f"{config.module}:{constants.CompileVars.APP}",
        factory=True,  # rx.App() is called in each worker and returns the ASGI app
        address=config.backend_host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        # A worker that dies is replaced; the others go on serving. (Granian gives up and
        # stops when the same worker dies again within 5.5 s of its replacement: a crash loop.)
        respawn_failed_workers=True,
        workers_kill_timeout=WORKERS_KILL_TIMEOUT,
        log_level=LogLevels.info,
    ).serve()
