"""The client's real address, for the Reflex handlers and the HTTP routes alike.

`X-Forwarded-For` is believed only when the socket peer is one of the configured
TRUSTED_PROXIES; the client is then the right-most address of the header that is not
itself a trusted proxy (a client can prepend anything to the header, never append).
Reflex 0.10.1 puts the socket peer in `router.session.client_ip` (it reads the header
only with `trusted_proxy_hops`, which rxconfig leaves at 0: it would believe it from anyone)."""
from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache

from espace.config import settings

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[Network, ...]:
    nets = []
    for part in spec.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            log.error("TRUSTED_PROXIES: not an address or network, ignored: %r", part)
    return tuple(nets)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    address = (address or "").strip()
    if address.startswith("[") and "]" in address:  # [v6]:port
        address = address[1:address.index("]")]
    elif address.count(":") == 1:  # v4:port
        address = address.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    return parsed.ipv4_mapped or parsed if isinstance(parsed, ipaddress.IPv6Address) else parsed


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, nets: tuple[Network, ...]) -> bool:
    return address is not None and any(address in net for net in nets)


def client_ip(peer: str | None, forwarded_for: str | None, trusted_proxies: str | None = None) -> str:
    """The address to count and log for a request whose socket peer is `peer`."""
    nets = _networks(settings.trusted_proxies if trusted_proxies is None else trusted_proxies)
    peer_ip = _parse(peer or "")
    if not nets or not _trusted(peer_ip, nets) or not forwarded_for:
        return str(peer_ip) if peer_ip is not None else (peer or "")[:64]
    hops = [h.strip() for h in forwarded_for.split(",")]
    for hop in reversed(hops):
        hop_ip = _parse(hop)
        if hop_ip is None:
            # Garbage where an address should be: the proxy that appended it is trusted,
            # what lies left of it is not; stop at the last address we can vouch for.
            break
        if not _trusted(hop_ip, nets):
            return str(hop_ip)
        peer_ip = hop_ip
    return str(peer_ip)


def limit_key(ip: str) -> str:
    """What a rate limit counts for an address: itself, or its /64 for IPv6 (a subscriber
    gets a whole /64: one address each would be no limit at all)."""
    parsed = _parse(ip or "")
    if parsed is None:
        return (ip or "?")[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
