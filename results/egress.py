"""Reaching out from a pull, as plain functions (no Django): which addresses a result
source may reach, HTTP requests pinned to the address that was checked, and answers
bounded in size and time.

A source is typed by a manager, so its host is an attacker's choice: an address inside
the network Fourfold runs in (its database, the cloud's metadata service, an admin
console on localhost) is refused unless the operator named it as allowed. The check is
made on the addresses the name resolves to, at connect time and on every redirect, and
the connection goes to the address that was checked, so DNS cannot answer differently
between the check and the connect.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_REDIRECTS = 5
# Never taken from a source's settings: they would let a source speak for Fourfold's own
# connection (Host, Cookie), for a proxy on the way, or change how the body is framed.
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "cookie",
        "cookie2",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "expect",
        "forwarded",
        "via",
    }
)
FORBIDDEN_HEADER_PREFIXES = ("x-forwarded-", "proxy-")


class Refused(Exception):
    """The source may not be reached (or sent this); the message says why, for a person."""


class Unreachable(Exception):
    """The network failed on the way: worth trying again later. The message names the
    host only, never what the failure says about the other side (open or closed ports)."""


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


@dataclass(frozen=True)
class Policy:
    """The operator's exceptions: host names and networks a source may reach although
    they are internal (a data warehouse on the private network, say)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> "Policy":
        hosts, networks = set(), []
        for entry in entries:
            entry = entry.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: Address) -> bool:
        return host.lower().rstrip(".") in self.hosts or any(
            candidate in network
            for candidate in {address, plain(address)}
            for network in self.networks
        )


def plain(address: Address) -> Address:
    """The IPv4 address inside an IPv4-mapped or -translated IPv6 one (::ffff:127.0.0.1)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64's well-known prefix
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: Address) -> bool:
    """Whether the address is on the public internet: not loopback, private, link-local
    (the cloud metadata service at 169.254.169.254), shared, multicast, reserved or
    unspecified (0.0.0.0 reaches this machine)."""
    address = plain(address)
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified
    )


def resolve(host: str, port: int) -> list[Address]:
    """Every address the name stands for (an address literal in any spelling the C
    library accepts, such as 127.1 or 2130706433, stands for itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise Unreachable(f"the name {host} does not resolve") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_address(host: str, port: int, policy: Policy) -> Address:
    """The address to connect to, after checking every address the host resolves to; a
    name with one internal address among public ones is refused as a whole."""
    if not host:
        raise Refused("The address names no host.")
    addresses = resolve(host, port)
    for address in addresses:
        if not is_public(address) and not policy.allows(host, address):
            raise Refused(
                f"{host} is an address inside the network Fourfold runs in, which sources "
                "may not reach. An operator can allow it (FOURFOLD_SOURCE_ALLOWED_HOSTS)."
            )
    return addresses[0]


def header_problem(name: str, value: str) -> str | None:
    """Why a request header may not be set by a source (None: it may)."""
    lowered = name.strip().lower()
    if not lowered or any(c in lowered for c in " \t:\r\n") or not lowered.isascii():
        return f"“{name}” is not a header name."
    if lowered in FORBIDDEN_HEADERS or lowered.startswith(FORBIDDEN_HEADER_PREFIXES):
        return f"The {name} header cannot be set on a source."
    if any(c in value for c in "\r\n\x00"):
        return f"The value of {name} holds a line break."
    return None


# --- HTTP -----------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while speaking to the host by its name."""

    def __init__(self, host: str, port: int, address: Address, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: Address, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = str(address)

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    url: str
    redirects: list[str] = field(default_factory=list)


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or ""), parts.port or (443 if scheme == "https" else 80)


def http_get(
    url: str,
    *,
    headers: dict[str, str],
    policy: Policy,
    timeout: float,
    deadline: float,
    max_bytes: int,
) -> Answer:
    """GET the URL, following up to MAX_REDIRECTS redirects, each checked like the first.
    `headers` (the source's secrets among them) go to the source's own origin only, never
    across a redirect to another host. `deadline` is a time.monotonic() value."""
    home = _origin(url)
    redirects: list[str] = []
    while True:
        scheme, host, port = _origin(url)
        parts = urlsplit(url)
        if scheme not in ("http", "https"):
            raise Refused("Only http:// and https:// addresses are pulled.")
        if parts.username or parts.password:
            raise Refused("Write credentials as a header (an admin's), not in the address.")
        address = checked_address(host, port, policy)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address, timeout)
        sent = {"Accept": "application/json, text/csv", "User-Agent": "Fourfold"}
        if (scheme, host, port) == home:
            sent.update(headers)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        try:
            connection.request("GET", target, headers=sent)
            response = connection.getresponse()
            status = response.status
            if status in (301, 302, 303, 307, 308):
                location = response.getheader("Location") or ""
                response.close()
                if len(redirects) >= MAX_REDIRECTS:
                    raise Refused(f"The source redirected more than {MAX_REDIRECTS} times.")
                redirects.append(url)
                url = urljoin(url, location)
                continue
            body = _read_bounded(response, deadline=deadline, max_bytes=max_bytes)
            return Answer(status, response.getheader("Content-Type", ""), body, url, redirects)
        except (OSError, http.client.HTTPException) as error:
            if isinstance(error, ssl.SSLCertVerificationError):
                raise Refused(f"The certificate of {host} is not valid.") from None
            raise Unreachable(f"cannot reach {host}") from None
        finally:
            connection.close()


def _read_bounded(response: http.client.HTTPResponse, *, deadline: float, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge
    chunks, size = [], 0
    while True:
        if time.monotonic() > deadline:
            raise TooSlow
        chunk = response.read1(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise TooLarge
        chunks.append(chunk)


def status_phrase(status: int) -> str:
    """The standard phrase of a status code, never the server's own words."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# --- PostgreSQL -----------------------------------------------------------------------

# libpq fills in whatever a connection leaves out from the process's environment (PG*),
# ~/.pgpass, a service file, Kerberos tickets and client certificates: the worker's own
# credentials. A source's connection names every part itself and asks the server to check
# the source's password; a server that lets the login in without one (trust, peer) or by
# the worker's identity (GSSAPI, SSPI, certificates) is refused.
PG_PASSWORD_METHODS = "password,md5,scram-sha-256"  # noqa: S105 (method names)


@dataclass(frozen=True)
class OwnDatabase:
    """Where Fourfold's own database is, as its settings name it."""

    host: str  # "", a socket folder, a name, an address, or a comma-separated list
    port: int
    name: str


def _this_machine() -> set[Address]:
    found: set[Address] = set()
    for name in {socket.gethostname(), socket.getfqdn()}:
        with contextlib.suppress(Unreachable):
            found.update(resolve(name, 0))
    return found


def is_local(address: Address) -> bool:
    """Whether connecting to the address reaches this very machine."""
    address = plain(address)
    return address.is_loopback or address.is_unspecified or address in _this_machine()


def is_own_database(own: OwnDatabase, *, address: Address, port: int, dbname: str) -> bool:
    """Whether a connection to (address, port, dbname) would reach Fourfold's own database,
    however the source spells the server: the resolved addresses are compared, and a
    database on this machine (a socket, localhost) is reached by every local address."""
    if port != own.port or dbname != own.name:
        return False
    address = plain(address)
    for host in own.host.split(",") if own.host else [""]:
        host = host.strip()
        if not host or host.startswith("/"):
            own_addresses: list[Address] = []
            local = True
        else:
            try:
                own_addresses = [plain(a) for a in resolve(host, port)]
            except Unreachable:
                own_addresses = []
            local = any(is_local(a) for a in own_addresses)
        if address in own_addresses or (local and is_local(address)):
            return True
    return False


def pg_connect_kwargs(
    *,
    host: str,
    address: Address,
    port: int,
    dbname: str,
    user: str,
    password: str,
    connect_timeout: int,
    options: str,
) -> dict[str, object]:
    """Every libpq parameter that could otherwise come from the worker's environment."""
    return {
        "host": host,
        "hostaddr": str(address),  # the address that was checked, not a second lookup
        "port": port,
        "dbname": dbname,
        "user": user,
        "password": password,
        "passfile": "/dev/null",
        "require_auth": PG_PASSWORD_METHODS,
        "gssencmode": "disable",
        "sslcertmode": "disable",
        "sslmode": "prefer",
        "target_session_attrs": "any",
        "connect_timeout": connect_timeout,
        "options": options,
        "application_name": "fourfold-pull",
    }
