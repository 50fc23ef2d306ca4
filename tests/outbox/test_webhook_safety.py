"""Webhooks reach exactly the checked address, never follow a redirect, and every failure is an attempt.

The receivers are real servers on loopback, each listed in WEBHOOKS_ALLOWED_PRIVATE_TARGETS
(the only private targets a delivery may reach), some speaking HTTP and some misbehaving on raw
TCP (garbage, a reset, a trickle, silence).
"""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import struct
import subprocess
import time
from datetime import timedelta

import pytest
import time_machine

from outbox import webhook_http, webhooks
from outbox.models import WebhookDelivery
from outbox.webhook_http import UnsafeWebhookURL, address_is_public, webhook_addresses_resolve
from outbox.webhooks import check_url_is_public, webhook_deliver, webhooks_due
from tests.conftest import require_service
from tests.outbox.receivers import HTTPReceiver, RawReceiver

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


# --- receivers -----------------------------------------------------------------------------------


@pytest.fixture
def receivers(settings):
    """Start receivers; each one's 127.0.0.1:port is listed as an allowed private target."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset()
    made = []

    def start(receiver):
        made.append(receiver)
        settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS |= {("127.0.0.1", receiver.port)}
        return receiver

    yield start
    for receiver in made:
        receiver.close()


@pytest.fixture
def short_deadline(monkeypatch):
    monkeypatch.setattr(webhooks, "ATTEMPT_DEADLINE_SECONDS", 1)


def delivery_to(business, url: str) -> WebhookDelivery:
    business.webhook_url, business.webhook_secret = url, "s3cret"
    business.save()
    return WebhookDelivery.objects.create(business=business, event="case.opened", key=f"k-{url}", url=url, body="{}")


def assert_failed_attempt(delivery: WebhookDelivery, error_fragment: str) -> WebhookDelivery:
    delivery.refresh_from_db()
    assert delivery.status == Status.QUEUED  # retrying, not stuck in `sending`
    assert delivery.attempts == 1 and delivery.claim == "" and delivery.lease_until is None
    assert error_fragment in delivery.last_error
    return delivery


# --- which addresses may be reached --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/hook",  # 127.0.0.1 as one decimal number
        "http://0177.0.0.1/hook",  # octal
        "http://0x7f.1/hook",  # hexadecimal, short form
        "http://017700000001/hook",  # octal, one number
        "http://0/hook",  # 0.0.0.0, which reaches this machine
        "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
        "http://[::ffff:a9fe:a9fe]/latest",  # IPv4-mapped 169.254.169.254, in hex
        "http://[::127.0.0.1]/hook",  # IPv4-compatible (deprecated) IPv6
        "http://[2002:c0a8:101::1]/hook",  # 6to4 around 192.168.1.1
        "http://[2002:7f00:1::1]/hook",  # 6to4 around 127.0.0.1
        "http://[64:ff9b::a00:8]/hook",  # NAT64 around 10.0.0.8
        "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 around 169.254.169.254
        "http://[64:ff9b:1::a00:8]/hook",  # local-use NAT64
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
        "http://[fe80::1]/hook",  # link-local
        "http://[fd00::1]/hook",  # unique local
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://224.0.0.1/hook",  # multicast
        "http://[ff02::1]/hook",  # IPv6 multicast
        "http://255.255.255.255/hook",
    ],
)
def test_every_spelling_of_a_private_address_is_refused(url, settings):
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset()
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(UnsafeWebhookURL):
        check_url_is_public(url)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "2002:808:808::1", "64:ff9b::808:808"])
def test_public_addresses_and_public_embedded_ones_are_accepted(address):
    import ipaddress

    assert address_is_public(ipaddress.ip_address(address))


def fake_resolver(*answers: list[str]):
    """A getaddrinfo that gives the next answer (a list of addresses) on each call, and counts calls."""
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        addresses = answers[min(len(calls), len(answers) - 1)]
        calls.append(host)
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    getaddrinfo.calls = calls
    return getaddrinfo


def test_a_name_is_refused_when_any_of_its_addresses_is_private(monkeypatch, settings):
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset()
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(["93.184.216.34", "::ffff:10.0.0.1"]))
    with pytest.raises(UnsafeWebhookURL, match="non-public address"):
        check_url_is_public("https://hooks.example.com/raves")


def test_only_the_listed_private_targets_are_reachable_even_with_the_development_switch(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset({("127.0.0.1", 8001)})
    check_url_is_public("http://127.0.0.1:8001/hook")
    check_url_is_public("http://2130706433:8001/hook")  # the same target, spelt differently
    for url in ["http://127.0.0.1:8002/hook", "http://127.0.0.2:8001/hook", "http://10.0.0.1:8001/hook"]:
        with pytest.raises(UnsafeWebhookURL):
            check_url_is_public(url)


def test_the_development_switch_alone_still_opens_private_addresses(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset()
    assert [str(a) for a in webhook_addresses_resolve("http://127.0.0.1:9/x", allow_private=True)] == ["127.0.0.1"]


def test_an_unlisted_loopback_receiver_receives_nothing(business, settings):
    settings.WEBHOOKS_ALLOWED_PRIVATE_TARGETS = frozenset({("127.0.0.1", 1)})
    receiver = HTTPReceiver(200)
    try:
        delivery = delivery_to(business, receiver.url)
        assert webhook_deliver(delivery_id=delivery.pk) is False
    finally:
        receiver.close()
    assert receiver.received == []
    assert_failed_attempt(delivery, "non-public address")


# --- resolve once, connect to what was checked ---------------------------------------------------


def test_the_connection_goes_to_the_checked_address_even_if_the_name_resolves_elsewhere_later(
    business, receivers, monkeypatch, short_deadline
):
    """DNS rebinding: a public answer for the check, loopback for a second lookup. There is none."""
    inside = receivers(HTTPReceiver(200))
    resolver = fake_resolver(["1.1.1.1"], ["127.0.0.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    delivery = delivery_to(business, f"http://rebind.example.com:{inside.port}/hook")
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert resolver.calls == ["rebind.example.com"]  # resolved once
    assert inside.received == []  # the loopback receiver never saw it
    assert_failed_attempt(delivery, "")


def test_the_post_reaches_the_checked_address_with_the_real_host_name(business, receivers, monkeypatch):
    first = receivers(HTTPReceiver(200))
    second = HTTPReceiver(200, host="127.0.0.2", port=first.port)  # where a second lookup would lead
    try:
        resolver = fake_resolver(["127.0.0.1"], ["127.0.0.2"])
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        delivery = delivery_to(business, f"http://hooks.example.com:{first.port}/hook?source=raves")
        assert webhook_deliver(delivery_id=delivery.pk) is True
    finally:
        second.close()
    assert resolver.calls == ["hooks.example.com"] and second.received == []
    path, headers, _body = first.received[0]
    assert path == "/hook?source=raves" and headers["Host"] == f"hooks.example.com:{first.port}"


# --- redirects are answers, never followed -------------------------------------------------------


def test_a_redirect_is_a_failed_attempt_and_its_target_receives_nothing(business, receivers):
    target = receivers(HTTPReceiver(200))
    redirector = receivers(HTTPReceiver(302, headers={"Location": target.url}))
    delivery = delivery_to(business, redirector.url)
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert len(redirector.received) == 1 and target.received == []
    delivery = assert_failed_attempt(delivery, f"redirect to {target.url} refused")
    assert delivery.last_status_code == 302


# --- receivers that misbehave: each is one failed attempt, retried later -------------------------


def answer_garbage(connection, stop):
    connection.sendall(b"\x00\xffThis is not HTTP at all\r\n\r\n")


def reset_the_connection(connection, stop):
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def trickle_bytes(connection, stop):
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(40):  # a header byte every 0.2 s for 8 s: no single read ever waits long
        if stop.wait(0.2):
            return
        connection.sendall(b"X")


def never_answer(connection, stop):
    stop.wait(30)


def test_a_receiver_answering_garbage_is_a_failed_attempt(business, receivers):
    delivery = delivery_to(business, receivers(RawReceiver(answer_garbage)).url)
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert_failed_attempt(delivery, "BadStatusLine")


def test_a_receiver_resetting_the_connection_is_a_failed_attempt(business, receivers):
    delivery = delivery_to(business, receivers(RawReceiver(reset_the_connection)).url)
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert_failed_attempt(delivery, "Connection")


@pytest.mark.parametrize("behave", [trickle_bytes, never_answer], ids=["trickles", "never-answers"])
def test_a_slow_receiver_is_cut_off_at_the_attempt_deadline(business, receivers, short_deadline, behave):
    delivery = delivery_to(business, receivers(RawReceiver(behave)).url)
    started = time.monotonic()
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert time.monotonic() - started < 2.5  # the whole attempt, not one read
    assert_failed_attempt(delivery, "No complete answer within 1 s")


def test_nothing_listens_is_a_failed_attempt(business, receivers):
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    receivers(type("Gone", (), {"port": port, "close": lambda self: None})())
    delivery = delivery_to(business, f"http://127.0.0.1:{port}/hook")
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert_failed_attempt(delivery, "ConnectionRefusedError")


# --- attempts are capped -------------------------------------------------------------------------


def test_eight_attempts_over_about_a_day_then_failed(business, receivers):
    assert sum(webhooks.RETRY_DELAYS, timedelta()) >= timedelta(hours=24)
    failing = receivers(HTTPReceiver(500))
    delivery = delivery_to(business, failing.url)
    for attempt in range(1, 9):
        delivery.refresh_from_db()
        when = max(delivery.next_attempt_at or delivery.created_at, delivery.created_at)
        with time_machine.travel(when + timedelta(seconds=1)):
            assert delivery.pk in webhooks_due() or attempt == 1
            assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempts == 8
    assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
    with time_machine.travel(delivery.next_attempt_at + timedelta(days=7)):
        assert delivery.pk not in webhooks_due()
        assert webhook_deliver(delivery_id=delivery.pk) is False
    assert len(failing.received) == 8


# --- credentials stay out of logs and errors -----------------------------------------------------


def test_url_credentials_and_query_never_reach_the_log_or_the_last_error(business, receivers, caplog):
    target = receivers(HTTPReceiver(200))
    redirector = receivers(HTTPReceiver(302, headers={"Location": "http://bob:hunter22@10.0.0.1/?token=tok999"}))
    url = f"http://alice:pa55word@127.0.0.1:{redirector.port}/hook?token=tok123"
    delivery = delivery_to(business, url)
    with caplog.at_level(logging.INFO, logger="outbox"):
        assert webhook_deliver(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    logged = caplog.text
    for secret in ["pa55word", "tok123", "hunter22", "tok999"]:
        assert secret not in logged and secret not in delivery.last_error
    assert f"127.0.0.1:{redirector.port}/hook" in logged and "redirect to http://***@10.0.0.1/?***" in logged
    assert target.received == []


# --- TLS: the checked address, the real name for SNI and the certificate -------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for hooks.example.test, made with the openssl command."""
    require_service(shutil.which("openssl") is not None, "The openssl command")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=hooks.example.test"]
        + ["-addext", "subjectAltName=DNS:hooks.example.test"]
        + ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True,
        capture_output=True,
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def https_receiver(receivers, certificate, monkeypatch):
    """An HTTPS receiver on loopback that records the server name each client asked for (SNI)."""
    cert, key = certificate
    receiver = receivers(HTTPReceiver(200))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    receiver.server_names = []
    server_context.sni_callback = lambda sock, name, context: receiver.server_names.append(name)
    receiver.server.socket = server_context.wrap_socket(receiver.server.socket, server_side=True)
    monkeypatch.setattr(webhook_http, "tls_context", lambda: ssl.create_default_context(cafile=cert))
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(["127.0.0.1"]))
    return receiver


def test_https_connects_to_the_checked_address_with_the_real_name_for_sni(business, https_receiver):
    delivery = delivery_to(business, f"https://hooks.example.test:{https_receiver.port}/hook")
    assert webhook_deliver(delivery_id=delivery.pk) is True
    assert https_receiver.server_names == ["hooks.example.test"]
    assert https_receiver.received[0][1]["Host"] == f"hooks.example.test:{https_receiver.port}"


def test_https_refuses_a_certificate_for_another_name(business, https_receiver):
    delivery = delivery_to(business, f"https://other.example.test:{https_receiver.port}/hook")
    assert webhook_deliver(delivery_id=delivery.pk) is False
    assert https_receiver.received == []
    assert_failed_attempt(delivery, "CERTIFICATE_VERIFY_FAILED")
