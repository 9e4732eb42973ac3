"""Who is asking, and how often: the client's address and per-client request limits.

`client_ip` is the one answer to "which address is this request from": django-axes counts
wrong passwords by it (AXES_CLIENT_IP_CALLABLE) and the limits below count requests by it.
Behind a reverse proxy (DJANGO_BEHIND_PROXY) the address is read from X-Forwarded-For,
counting FOURFOLD_PROXY_COUNT trusted proxies from the right, the entries they appended;
whatever a client wrote further left is ignored. Without the setting X-Forwarded-For is
never read, so a forged header cannot pass for another client.

Limits are fixed windows ("60/minute": at most 60 in each calendar minute) counted in the
`ratelimit` cache, which every web process and host shares (Redis with FOURFOLD_CACHE_URL,
else a database table). Redis counts exactly; the database cache's increment is a read then
a write, so under a concurrent burst a few extra requests may pass.
"""

import functools
import ipaddress
import math
import re
import time
from collections.abc import Callable

import structlog
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = structlog.get_logger(__name__)

PERIODS = {"second": 1, "minute": 60, "hour": 60 * 60, "day": 24 * 60 * 60}
RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


def _address(text: str) -> str | None:
    """An IP address as written in a header (maybe with a port or brackets), normalized;
    None when it is not one."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return str(address)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind FOURFOLD_PROXY_COUNT trusted proxies
    the X-Forwarded-For entry the outermost of them appended."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies: int = settings.FOURFOLD_PROXY_COUNT
    if proxies:
        hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            found = _address(hops[-proxies])
            if found is not None:
                return found
        # No usable header: a request that came around the proxy, or a proxy that does
        # not append; its own address is the best there is.
    return _address(remote) or remote


def client_key(request: HttpRequest) -> str:
    """What a client's requests are counted under: its address, or for IPv6 its /64
    network (one machine or home commonly holds a whole /64 and could rotate in it)."""
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


@functools.lru_cache(maxsize=32)
def parse_rate(rate: str) -> tuple[int, int]:
    """So many requests per so many seconds: "60/minute" is (60, 60)."""
    match = RATE.match(rate)
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (write e.g. 60/minute)")
    return int(match[1]), PERIODS[match[2]]


def hit(scope: str, ident: str, rate: str) -> int | None:
    """Count one request of `ident` in `scope`. None while it is within `rate`; once over,
    the seconds until the window ends (for Retry-After). A store that cannot be reached
    lets the request through (logged): logins must not stop with the cache."""
    limit, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    key = f"{scope}:{ident}:{window}"
    cache = caches["ratelimit"]
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # the window's first request (or its key just expired)
            count = 1 if cache.add(key, 1, timeout=period + 5) else cache.incr(key)
    except Exception:  # Redis and database errors alike
        log.exception("ratelimit_store_unavailable", scope=scope)
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def per_client(scope: str, setting: str, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Limit a view's `methods` per client address to the rate in `setting`; over it the
    client gets a 429 page with Retry-After."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods:
                wait = hit(scope, client_key(request), getattr(settings, setting))
                if wait is not None:
                    log.warning("rate_limited", scope=scope, client=client_ip(request))
                    response = render(
                        request,
                        "registration/rate_limited.html",
                        {"seconds": wait},
                        status=429,
                    )
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return limited

    return decorator
