"""The one door out for webhooks: a POST to exactly the address that was checked, within a deadline.

Why not urllib: it resolves the host a second time after our check (a DNS answer that changes in
between steers the POST inside the network) and follows redirects. Here the host is resolved once,
every address it resolves to must be public (in every spelling: IPv4-mapped, 6to4, NAT64, Teredo,
decimal or octal IPv4, which getaddrinfo normalises), the socket connects to one of those checked
addresses itself, the Host header and TLS SNI / certificate check use the real host name, a 3xx
is an answer like any other (never followed), and every read waits only for what is left of one
wall-clock deadline, so a receiver that trickles one byte a second is cut off in time.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Prefixes that is_global misses or that carry an IPv4 address we must judge instead.
NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# host:port pairs that the operator opened on purpose (test receivers, a sidecar).
Target = tuple[str, int]


class UnsafeWebhookURL(ValueError):
    """The URL is not http(s), or points at this machine or a private network."""


class WebhookTimeout(TimeoutError):
    """The receiver did not answer completely within the attempt's deadline."""


@dataclass(frozen=True)
class Answer:
    status: int
    location: str  # the Location header of a redirect, else ""


def address_is_public(address: IPAddress) -> bool:
    """True only for a globally routable unicast address, judged by any IPv4 address it embeds."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if address.teredo or address in NAT64_LOCAL_USE or address in IPV4_COMPATIBLE:
        return False
    embedded = address.ipv4_mapped or address.sixtofour
    if address in NAT64_WELL_KNOWN:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return embedded is None or address_is_public(embedded)


def webhook_url_parts(url: str) -> tuple[SplitResult, int]:
    """The split URL and its port, or UnsafeWebhookURL when it is not a usable http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeWebhookURL("Not an http(s) URL.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeWebhookURL("The URL's port is not a number.") from None
    return parts, port


def webhook_addresses_resolve(
    url: str, *, allow_private: bool = False, allowed_targets: Collection[Target] = ()
) -> list[IPAddress]:
    """Resolve the URL's host once and return its addresses, all checked.

    A private address is accepted only when its host:port (as an address, or as the URL's host
    name) is in `allowed_targets`, or, with no targets listed, when `allow_private` is on.
    """
    parts, port = webhook_url_parts(url)
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise UnsafeWebhookURL(f"{host} could not be resolved ({error}).") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
    for address in addresses:
        if address_is_public(address):
            continue
        if allowed_targets:
            if (str(address), port) in allowed_targets or (host, port) in allowed_targets:
                continue
        elif allow_private:
            continue
        raise UnsafeWebhookURL(f"{host} resolves to a non-public address ({address}).")
    if not addresses:
        raise UnsafeWebhookURL(f"{host} resolves to no address.")
    return addresses


def webhook_post(
    *, url: str, addresses: list[IPAddress], body: bytes, headers: dict[str, str], deadline_seconds: float
) -> Answer:
    """POST `body` to `url` through the first of the checked `addresses` that accepts a connection.

    Raises OSError (WebhookTimeout when the deadline passes), http.client.HTTPException or
    ValueError when the receiver cannot be reached or answers something that is not HTTP.
    """
    parts, port = webhook_url_parts(url)
    deadline = time.monotonic() + deadline_seconds
    host = parts.hostname.encode("idna").decode("ascii")  # Host header and SNI are ASCII (IDNA)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
    last_error: OSError = OSError("no address to connect to")
    for address in addresses:
        connection = connection_class(host, port, address=address, deadline=deadline)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(status=response.status, location=response.getheader("Location", ""))
        except ConnectionRefusedError as error:  # nobody listens there: try the next address
            last_error = error
        finally:
            connection.close()
    raise last_error


def seconds_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise WebhookTimeout("No complete answer within the attempt's deadline.")
    return left


class DeadlineReads:
    """Every read waits at most for what is left of the deadline, not a fresh timeout per read."""

    deadline: float = float("inf")

    def recv_into(self, *args, **kwargs):
        self.settimeout(seconds_left(self.deadline))
        return super().recv_into(*args, **kwargs)


class DeadlineSocket(DeadlineReads, socket.socket):
    pass


class DeadlineSSLSocket(DeadlineReads, ssl.SSLSocket):
    pass


def tls_context() -> ssl.SSLContext:
    """The system's trusted authorities, certificate and host name checked (tests trust their own)."""
    return ssl.create_default_context()


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, never to what the host name resolves to now."""

    def __init__(self, host: str, port: int, *, address: IPAddress, deadline: float) -> None:
        super().__init__(host, port)
        self.address, self.deadline = address, deadline

    def connect(self) -> None:
        family = socket.AF_INET6 if self.address.version == 6 else socket.AF_INET
        sock = DeadlineSocket(family, socket.SOCK_STREAM)
        sock.deadline = self.deadline
        try:
            sock.settimeout(seconds_left(self.deadline))
            sock.connect((str(self.address), self.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Sending is bounded by the same deadline (sendall's timeout covers the whole call).
            sock.settimeout(seconds_left(self.deadline))
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class PinnedHTTPSConnection(PinnedHTTPConnection):
    """TLS to the checked address; SNI and the certificate check use the real host name."""

    default_port = 443

    def connect(self) -> None:
        super().connect()
        context = tls_context()
        context.sslsocket_class = DeadlineSSLSocket
        self.sock.settimeout(seconds_left(self.deadline))
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)
        self.sock.deadline = self.deadline


def redact_url(url: str) -> str:
    """The URL as logs and the admin show it: no user or password, no query (it may carry a token)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(malformed URL)"
    host = f"[{host}]" if ":" in host else host
    userinfo = "***@" if "@" in parts.netloc else ""
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{userinfo}{host}{port}{parts.path}{query}"
