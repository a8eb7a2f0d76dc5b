"""`serve`: the portal in production (the interface built once, N supervised processes)."""
from __future__ import annotations

import argparse

from espace.cli.common import ROOT, CliError, Command


def register(command: Command) -> None:
    p = command("serve", help="sert le portail en production : interface construite une fois, N processus "
                              "supervisés (un processus arrêté est remplacé)")
    p.add_argument("--workers", type=int, default=None,
                   help="nombre de processus (par défaut : WORKERS, sinon 1 sans Redis, "
                        "min(cœurs, 4) avec REFLEX_REDIS_URL ; plus d'un exige Redis)")
    p.add_argument("--no-build", action="store_true",
                   help="ne construit pas l'interface : sert celle qu'un précédent serve (ou make run) a construite pour cette version du code")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> None:
    import os

    from espace import server
    from espace.config import settings

    try:
        workers = server.worker_count(args.workers if args.workers is not None else settings.workers,
                                      settings.redis_url, os.cpu_count())
        if settings.redis_url:
            server.check_redis(settings.redis_url)
        web_dir = server.check_built(ROOT) if args.no_build else server.build_frontend(ROOT)
    except server.ServeError as exc:
        raise CliError(str(exc)) from exc
    print(f"Portail servi sur le port {settings.port} par {workers} processus "
          f"({'état des pages dans Redis' if settings.redis_url else 'état des pages en mémoire'}).", flush=True)
    server.serve(ROOT, web_dir, workers, settings.port)
