"""The compiled frontend talks to the backend of the page's own origin, read at run time.

Reflex bakes the backend URL (`api_url`, port included) into the bundle and its
`getBackendURL` only swaps the hostname `localhost` for the page's host. The portal always
serves its frontend and its backend on the same port, so this plugin rewrites
`getBackendURL` (`.web/utils/state.js`) to take the page's protocol and host (port
included) instead: one build then serves any port and any host — `make run` on 3000, a
test app on a free port, the portal behind its public name — and the build cache
(espace/frontend.py) need not know where the app will run."""
from __future__ import annotations

from reflex_base.plugins.base import Plugin

STATE_JS = "utils/state.js"
MARKER = "espace: same-origin backend"
ANCHOR = "export const getBackendURL = (url_str) => {"
SAME_ORIGIN = f"""export const getBackendURL = (url_str) => {{
  // {MARKER} (espace/web/same_origin.py): the page's own protocol and host, port included.
  if ((url_str ?? undefined) === undefined) {{
    url_str = env.PING;
  }}
  const endpoint = new URL(url_str);
  if (typeof window !== "undefined") {{
    const secure = window.location.protocol === "https:";
    endpoint.protocol = endpoint.protocol.startsWith("ws")
      ? (secure ? "wss:" : "ws:")
      : window.location.protocol;
    endpoint.hostname = window.location.hostname;
    endpoint.port = window.location.port;  // "" on the scheme's default port (host alone would keep 3000)
  }}
  return endpoint;
}};
"""


def same_origin_state_js(source: str) -> str:
    """state.js with Reflex's getBackendURL replaced (idempotent; fails loudly when a
    Reflex upgrade changed the function, rather than building a bundle bound to a port)."""
    if MARKER in source:
        return source
    start = source.find(ANCHOR)
    if start < 0:
        raise RuntimeError(f"{STATE_JS}: getBackendURL not found (Reflex changed): see espace/web/same_origin.py")
    end = source.find("\n};\n", start)
    if end < 0:
        raise RuntimeError(f"{STATE_JS}: end of getBackendURL not found: see espace/web/same_origin.py")
    return source[:start] + SAME_ORIGIN + source[end + len("\n};\n"):]


class SameOriginBackend(Plugin):
    """Reflex plugin (rxconfig.py): applies same_origin_state_js at every compile."""

    def pre_compile(self, **context) -> None:
        context["add_modify_task"](STATE_JS, same_origin_state_js)
