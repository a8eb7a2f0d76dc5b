"""What a user sees when something goes wrong in an event handler: a French message
with a short reference, the full exception in the log under the same reference (the
firm quotes it to whoever reads the logs). Reflex's English « An error occurred.
Contact the website administrator. » never shows. Also the French refusal of a
malformed event payload (state/payload_guard.py)."""
import asyncio
import logging
import re
import secrets
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from reflex.state import OnLoadInternalState

from espace.db import database_unavailable
from espace.domain import faults

log = logging.getLogger("espace.web.errors")

ERROR_MESSAGE = "Une erreur est survenue (réf. {ref}). Réessayez ou contactez votre cabinet."
# The database connection died during the handler (its transaction was rolled back by the
# server), or the database does not answer at all (stopped, unreachable, no free connection).
DB_LOST_MESSAGE = faults.DATABASE_DOWN
DB_TOAST = "erreur_base"  # the toast's id: one at a time, replaced in place
# Redis (the pages' state) does not answer: the event did not run (web/redis_bounds.py).
UNAVAILABLE_MESSAGE = faults.SERVICE_DOWN
UNAVAILABLE_TOAST = "service_indisponible"
INVALID_MESSAGE = "Requête invalide : les données envoyées ne sont pas acceptées. Rien n'a été modifié."


def new_reference() -> str:
    return secrets.token_hex(3).upper()


def french_toast(message: str, toast_id: str, duration: int = 10000):
    return rx.toast.error(message, id=toast_id, position="top-center", duration=duration, close_button=True,
                          fallback_to_alert=True)


# A page load the database (or Redis) could not serve is sent again by the tab after this wait
# (in the browser: the server holds no lock, nor any state, meanwhile; the tab's other events
# pass first).
LOAD_RETRY_MS = 2000


def waiting_for_database(again: Any = None) -> list[Any]:
    """What a tab gets when its page could not be loaded because the database is unavailable:
    faults.DATABASE_DOWN_LOADING, and the load sent again (`page_waits`)."""
    return page_waits(faults.DATABASE_DOWN_LOADING, DB_TOAST, again)


def page_waits(message: str, toast_id: str, again: Any = None) -> list[Any]:
    """THE « a part is down, the page waits and loads itself »: `message` (shown until a little
    after the next try: it goes by itself once the page loads), and `again` (an event handler:
    Reflex's on_load_internal, the page's on_load chain) sent by the tab LOAD_RETRY_MS later —
    or, without one (the tab's first load: nothing is hydrated yet), the page loaded again.
    A retry that fails again gets this again: the tab tries every couple of seconds until the
    part answers, and needs nothing of the server meanwhile."""
    toast = french_toast(message, toast_id, duration=LOAD_RETRY_MS + 4000)
    if again is None:
        return [toast, rx.call_script(f"setTimeout(() => window.location.reload(), {LOAD_RETRY_MS})")]
    return [toast, rx.call_script(f"new Promise((done) => setTimeout(done, {LOAD_RETRY_MS}))", callback=again)]


def backend_exception_handler(exception: Exception):
    """Reflex's backend exception handler (rx.App(backend_exception_handler=...))."""
    ref = new_reference()
    if database_unavailable(exception):
        log.warning("event handler lost its database connection ref=%s: %s: %s", ref, type(exception).__name__,
                    exception)
        return french_toast(DB_LOST_MESSAGE, DB_TOAST)
    if _redis_down(exception):
        return _redis_refused(ref, exception)
    log.error("event handler failed ref=%s: %s: %s", ref, type(exception).__name__, exception,
              exc_info=(type(exception), exception, exception.__traceback__))
    return french_toast(ERROR_MESSAGE.format(ref=ref), "erreur_serveur")


def _redis_refused(ref: str, exception: Exception) -> Any:
    """An event Redis did not let run (the tab's state could be neither read nor stored): an
    action is told so; a navigation (the page's load) waits and loads itself once Redis is back."""
    event = failed_event_name()
    log.warning("event failed, Redis does not answer ref=%s event=%s: %s: %s", ref, event.rsplit(".", 1)[-1],
                type(exception).__name__, exception)
    if event.endswith(".hydrate_and_load"):  # the tab's first load: nothing hydrated yet
        return page_waits(faults.SERVICE_DOWN_LOADING, UNAVAILABLE_TOAST)
    if event.endswith(".on_load_internal"):
        return page_waits(faults.SERVICE_DOWN_LOADING, UNAVAILABLE_TOAST, OnLoadInternalState.on_load_internal)
    return french_toast(UNAVAILABLE_MESSAGE, UNAVAILABLE_TOAST)


# Reflex runs an event in a task named « reflex_event|<event>|<token>|<txid> » and its exception
# handler in one named after it (reflex_base/event/processor/event_processor.py): the one place
# the handler can learn which event failed.
_EVENT_TASK = re.compile(r"reflex_event\|([^|\]]+)\|")


def failed_event_name() -> str:
    """The name of the event whose exception is being handled ("" when unknown)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop
        return ""
    found = _EVENT_TASK.search(task.get_name()) if task is not None else None
    return found.group(1) if found else ""


def _redis_down(exc: BaseException | None) -> bool:
    """Whether `exc` (or an exception it comes from) is Redis not answering."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, RedisError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def frontend_exception_handler(exception: Exception) -> None:
    """Errors the browser reports (rendering, scripts): logged with a reference."""
    log.error("browser error ref=%s: %s", new_reference(), str(exception)[:2000])
