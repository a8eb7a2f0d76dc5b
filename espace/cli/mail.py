"""`worker` (sends the queued e-mails, without the app) and `outbox-status`."""
from __future__ import annotations

import argparse

from espace.cli.common import Command


def register(command: Command) -> None:
    p = command("worker", help="envoie les e-mails de la file d'attente (boucle, sans l'application)")
    p.add_argument("--once", action="store_true", help="un seul passage, puis s'arrête")
    p.set_defaults(func=cmd_worker)

    p = command("outbox-status", help="nombre d'e-mails de la file d'attente par statut")
    p.set_defaults(func=cmd_outbox_status)


def cmd_worker(args: argparse.Namespace) -> None:
    import asyncio
    import logging
    import signal

    from espace.config import settings
    from espace.services.mail import outbox

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.once:
        print(f"E-mails envoyés : {outbox.run_once()}")
        return

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"Envoi des e-mails en attente toutes les {settings.outbox_poll_seconds:g} s (Ctrl+C pour arrêter).",
              flush=True)
        await outbox.worker_loop(stop)

    asyncio.run(main())
    print("Arrêté.")


def cmd_outbox_status(args: argparse.Namespace) -> None:
    from espace.services.mail import outbox

    labels = {"pending": "en attente", "sending": "en cours d'envoi", "sent": "envoyés", "failed": "en échec"}
    for status, count in outbox.status_counts().items():
        print(f"{status:<8} {count:>6}  ({labels.get(status, status)})")
