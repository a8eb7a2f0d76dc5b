"""`python -m espace serve`: the production server, N supervised worker processes on one port.

`reflex run --env prod` builds Granian's server without `respawn_failed_workers`: when one
worker dies (killed, out of memory), Granian stops all of them and nothing restarts the
portal. Here the frontend is built once per version of the code, the same way (`reflex export
--frontend-only`: Reflex's compile and `react-router build`, espace/frontend.py's cache), then Granian serves
the Reflex app — backend and compiled frontend on the same port, as `reflex run --env prod`
does — with a supervisor (espace/supervisor.py) that replaces a dead worker, backing off when
it keeps dying, while the others keep serving.

Several workers need Redis (`REFLEX_REDIS_URL`): a tab's state must be readable by
whichever worker serves its next event."""
from __future__ import annotations

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


def build_frontend(root: Path) -> Path:
    """The production frontend of the current sources (espace/frontend.py: built once per
    version into the build cache, reused by every later start); its web directory."""
    from espace import frontend

    try:
        return frontend.ensure_built(root)
    except frontend.BuildError as exc:
        raise ServeError(str(exc)) from exc


def check_built(root: Path) -> Path:
    """`serve --no-build` needs the frontend of the current sources built before (by `serve`,
    `make run` or a test run); its web directory."""
    from espace import frontend

    web_dir = frontend.built_dir(root)
    if not frontend.is_built(web_dir):
        raise ServeError("Aucune interface construite pour cette version du code : lancez serve sans --no-build.")
    return web_dir


def serve(root: Path, web_dir: Path, workers: int, port: int) -> None:
    """Serve the app, its frontend built in `web_dir` (build_frontend), on `port` with `workers`
    supervised Granian workers (until SIGTERM/SIGINT)."""
    import gc
    import multiprocessing
    import os

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from reflex_base import constants
    from reflex_base.config import get_config
    from reflex_base.environment import environment

    from espace.supervisor import SupervisedServer

    os.chdir(root)  # Reflex finds rxconfig.py from the working directory
    environment.REFLEX_ENV_MODE.set(constants.Env.PROD)
    # The build cache's directory, never the checkout's .web (the workers inherit it).
    os.environ["REFLEX_WEB_WORKDIR"] = str(web_dir)
    environment.REFLEX_WEB_WORKDIR.set(web_dir)
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

    SupervisedServer(
        target=f"{config.module}:{constants.CompileVars.APP}",
        factory=True,  # rx.App() is called in each worker and returns the ASGI app
        address=config.backend_host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        # A worker that dies is replaced with a back-off, the others go on serving
        # (espace/supervisor.py: Granian's own respawn gives up on a crash loop).
        workers_kill_timeout=WORKERS_KILL_TIMEOUT,
        log_level=LogLevels.info,
    ).serve()
