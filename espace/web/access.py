"""Who is acting, for every Reflex event handler — the guard is written here once.

Any browser can call any handler with any payload, so every handler of a page that
belongs to someone says who may call it, by its decorator instead of `@rx.event`:

    class MessagesState(LoadedPage, SessionState):
        @client_event
        def send(self, client: User, form: dict): ...

    class TeamState(StaffState):
        @staff_event
        def load(self, staff: User): ...

    class SecurityState(LoadedPage, SessionState):
        @account_event
        def start_totp(self, member: User): ...

The decorator reads the acting user from the server-side session (the HttpOnly
cookie of the websocket handshake, `SessionState._client()` / `_staff()`), never
from the payload. Nobody valid → the handler does not run: the page forgets what it
held and the tab goes to the login page (or, for a client on a firm page, to its
home). The user is passed as the handler's first argument and is hidden from the
signature that Reflex and the payload guard see, so a payload can never supply it.

Administrator-only actions are staff handlers whose service refuses a lawyer or
staff member with a French message (`require_admin` → NotAdmin), shown on the page.
"""
from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.state import OnLoadInternalState

from espace.db import connection_lost, database_unavailable, read_again_if_lost
from espace.models import User
from espace.web import errors, offload
from espace.web.page import PAGE_STATES, LoadedPage, route_key

log = logging.getLogger("espace.web.access")

Handler = Callable[..., Any]


def _hide_user(wrapper: Handler, fn: Handler) -> Handler:
    """The wrapper's visible signature and annotations are fn's minus its user parameter."""
    signature = inspect.signature(fn)
    params = list(signature.parameters.values())
    if len(params) < 2:
        raise TypeError(f"{fn.__qualname__}: a guarded handler takes (self, user, ...)")
    user_param = params[1].name
    wrapper.__signature__ = signature.replace(parameters=[params[0], *params[2:]])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {k: v for k, v in fn.__annotations__.items() if k != user_param}
    return wrapper


def _retrying(fn: Handler) -> Handler:
    """A page load (`load`: it reads what the page shows) whose database connection died is run
    once more, on a new connection: the user sees the page, not an error. The server rolled back
    whatever the dead connection had begun, so nothing is done twice. Other handlers (writes)
    are not retried: the user gets errors.DB_LOST_MESSAGE and decides."""
    if fn.__name__ != "load":
        return fn
    if inspect.isasyncgenfunction(fn) or inspect.isgeneratorfunction(fn):
        return fn  # no page load is a generator; a retry after a first update could repeat it
    if inspect.iscoroutinefunction(fn):
        @functools.wraps(fn)
        async def coro(self, *args, **kwargs):
            try:
                return await fn(self, *args, **kwargs)
            except Exception as exc:
                if not connection_lost(exc):
                    raise
                log.warning("page load lost its database connection, run again: %s.%s", type(self).__name__,
                            fn.__name__)
            return await fn(self, *args, **kwargs)
        return coro

    @functools.wraps(fn)
    def plain(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except Exception as exc:
            if not connection_lost(exc):
                raise
            log.warning("page load lost its database connection, run again: %s.%s", type(self).__name__,
                        fn.__name__)
        return fn(self, *args, **kwargs)
    return plain


def _still_shown(state: Any) -> bool:
    """Whether the tab still shows the page of `state` (a load sent again after a wait may find
    the tab gone to another page: it then stops trying)."""
    shown = PAGE_STATES.get(route_key(state.router.page.path or ""))
    return shown is None or isinstance(state, shown)


def _with(result: Any, *events: Any) -> Any:
    """The events a handler returned, and `events` after them."""
    if result is None:
        return list(events)
    return [*(result if isinstance(result, list | tuple) else [result]), *events]


def load_waits(state: Any, exc: BaseException, where: str = "") -> list[Any]:
    """What a page load of `state` returns when it found the database unavailable (in the
    handler, or in its event's session check: web/tab_identity.py): the message, and its
    page's on_load chain sent again by the tab while the tab still shows that page."""
    again = _still_shown(state)
    log.warning("page load: database unavailable%s: %s.load%s: %s: %s", ", sent again" if again else "",
                type(state).__name__, where, type(exc).__name__, exc)
    if isinstance(state, LoadedPage):
        state._db_waiting = True
    if not again:
        return errors.waiting_for_database()[:1]  # the message alone
    return errors.waiting_for_database(OnLoadInternalState.on_load_internal)


def _waits_for_database(wrapper: Handler, fn: Handler) -> Handler:
    """A page load (`load`, plain or coroutine) that finds the database unavailable (stopped,
    restarting, unreachable, no free connection: `database_unavailable`, its one quick retry
    on a new connection included) shows faults.DATABASE_DOWN_LOADING in the tab, and the tab
    sends its page's on_load chain again (Reflex's on_load_internal, as a navigation does)
    errors.LOAD_RETRY_MS later, again and again, until it succeeds: the page then appears and
    the message goes, without the person reloading (the skeleton stays meanwhile; the chain's
    `set_is_hydrated` that follows the failed load is dropped, and a navigation the session
    check could not serve waits the same way: web/tab_identity.py). The wait runs in the
    browser, so the server holds no lock; a tab gone to another page stops (`_still_shown`)."""
    if fn.__name__ != "load" or not inspect.iscoroutinefunction(wrapper):
        return wrapper

    @functools.wraps(wrapper)
    async def waiting(self, *args, **kwargs):
        page = self if isinstance(self, LoadedPage) else None
        try:
            result = await wrapper(self, *args, **kwargs)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            return load_waits(self, exc)
        if page is not None and page._db_waiting:
            page._db_waiting = False
            log.info("page load: database back: %s.load", type(self).__name__)
            return _with(result, rx.toast.dismiss(errors.DB_TOAST))
        return result
    return waiting


def _guard(acting: Callable[[Any], User | None], refuse: Callable[[Any], Any]) -> Callable[[Handler], Any]:
    """The decorator of one kind of user. A plain handler (all of them today) runs with its
    acting-user read in one piece, in a database thread on PostgreSQL (web/offload.py):
    Reflex sees a coroutine and awaits it while it holds the tab's state lock. A coroutine
    or an async generator reads the user in that thread and runs on the loop; a generator
    (none today: each step would need its own hop) runs on the loop as it always did."""
    def decorator(fn: Handler) -> Any:
        fn = _retrying(fn)
        if inspect.isasyncgenfunction(fn):
            @functools.wraps(fn)
            async def agen(self, *args, **kwargs):
                user = await offload.run(read_again_if_lost, acting, self)
                if user is None:
                    yield refuse(self)
                    return
                async for update in fn(self, user, *args, **kwargs):
                    yield update
            wrapper: Handler = agen
        elif inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def coro(self, *args, **kwargs):
                user = await offload.run(read_again_if_lost, acting, self)
                if user is None:
                    return refuse(self)
                return await fn(self, user, *args, **kwargs)
            wrapper = coro
        elif inspect.isgeneratorfunction(fn):
            @functools.wraps(fn)
            def gen(self, *args, **kwargs):
                user = read_again_if_lost(acting, self)
                if user is None:
                    yield refuse(self)
                    return
                yield from fn(self, user, *args, **kwargs)
            wrapper = gen
        else:
            def guarded(self, *args, **kwargs):
                user = read_again_if_lost(acting, self)
                if user is None:
                    return refuse(self)
                return fn(self, user, *args, **kwargs)

            @functools.wraps(fn)
            async def plain(self, *args, **kwargs):
                return await offload.run(guarded, self, *args, **kwargs)
            wrapper = plain
        return rx.event(_hide_user(_waits_for_database(wrapper, fn), fn))
    return decorator


def _client(state: Any) -> User | None:
    return state._client()


def _staff(state: Any) -> User | None:
    return state._staff()


def _member(state: Any) -> User | None:
    return state._member()


def _leave(state: Any) -> Any:
    return state._leave()


def _refuse(state: Any) -> Any:
    return state._refuse()


# A client's handler: the acting client (no temporary password, second factor enrolled).
client_event = _guard(_client, _leave)
# A firm handler: an active administrator, lawyer or staff member of the firm.
staff_event = _guard(_staff, _refuse)
# A handler of the person's own account (Mon compte › Sécurité, /double-authentification):
# any logged-in member, client or firm, also while the firm still requires a second
# factor; not before a temporary password is replaced. Refused: the page forgets what
# it held and the tab goes to the login page (or where the session must go first).
account_event = _guard(_member, _leave)

