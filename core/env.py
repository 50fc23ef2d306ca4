"""One typed reader for configuration from the environment.

Every setting that comes from the environment goes through `Env`, so a malformed value stops
start-up with `ImproperlyConfigured` naming the variable and what was expected, instead of being
silently read as something else (django-environ alone reads "flase" as False).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
_MISSING = object()
# A request rate, as Django REST framework writes it: "1200/min", "300/hour", "5/s".
RATE = re.compile(r"(?P<count>[1-9][0-9]*)/(?P<period>s|sec|second|m|min|minute|h|hour|d|day)")
PERIOD_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# URL schemes that are complete without a host or path ("consolemail://").
LOCATIONLESS_SCHEMES = frozenset({"consolemail", "memorymail", "dummymail", "filemail"})


class Env:
    """Reads typed values from a mapping (the process environment by default)."""

    def __init__(self, source: Mapping[str, str] | None = None) -> None:
        self.source = os.environ if source is None else source

    def is_set(self, name: str) -> bool:
        return self.source.get(name, "").strip() != ""

    def raw(self, name: str, default: Any = _MISSING) -> str:
        value = self.source.get(name, "").strip()
        if value:
            return value
        if default is _MISSING:
            raise ImproperlyConfigured(f"{name} is required but not set.")
        return default

    def str(self, name: str, default: Any = _MISSING) -> str:
        return self.raw(name, default)

    def bool(self, name: str, default: bool | object = _MISSING) -> bool:
        return self._parse(name, default, _parse_bool, "true or false")

    def int(self, name: str, default: int | object = _MISSING, *, minimum: int | None = None) -> int:
        value = self._parse(name, default, int, "a whole number")
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
        return value

    def list(self, name: str, default: list[str] | object = _MISSING) -> list[str]:
        return self._parse(name, default, _parse_list, "a comma-separated list")

    def host_ports(self, name: str, default: list[tuple[str, int]] | object = _MISSING) -> list[tuple[str, int]]:
        """A comma-separated list of host:port pairs ("127.0.0.1:8001,[::1]:8002"), hosts lowercased."""
        expected = "a comma-separated list of host:port pairs such as 127.0.0.1:8001,[::1]:8002"
        return self._parse(name, default, lambda text: [_parse_host_port(item) for item in _parse_list(text)], expected)

    def rate(self, name: str, default: str | object = _MISSING) -> str:
        """A request rate such as "1200/min" (number/second|minute|hour|day), checked at start-up."""
        value = self._parse(name, default, lambda text: text, "a rate")
        try:
            parse_rate(value)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be a rate like 1200/min (a number, then /second, /minute, /hour or /day); got {value!r}."
            ) from None
        return value

    def url(self, name: str, default: str | object = _MISSING, *, schemes: tuple[str, ...]) -> str:
        value = self.raw(name, default)
        scheme, sep, rest = value.partition("://")
        if not sep or scheme not in schemes or (not rest and scheme not in LOCATIONLESS_SCHEMES):
            allowed = ", ".join(f"{s}://" for s in schemes)
            raise ImproperlyConfigured(f"{name} must be a URL starting with {allowed}; got {_redacted(value)!r}.")
        try:
            urlsplit(value).port  # noqa: B018  (reading it validates it)
        except ValueError:
            raise ImproperlyConfigured(f"{name} has a port that is not a number; got {_redacted(value)!r}.") from None
        return value

    def database(self, name: str, default: str) -> dict[str, Any]:
        url = self.url(name, default, schemes=("sqlite", "postgres", "postgresql", "pgsql"))
        return self._with_url(name, url, environ.Env.db_url_config)

    def email(self, name: str, default: str) -> dict[str, Any]:
        schemes = ("smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail")
        url = self.url(name, default, schemes=schemes)
        return self._with_url(name, url, environ.Env.email_url_config)

    def _with_url(self, name: str, url: str, parse: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        try:
            return parse(url)
        except (ValueError, KeyError, ImproperlyConfigured) as error:
            raise ImproperlyConfigured(f"{name} could not be read ({error}); got {_redacted(url)!r}.") from error

    def _parse(self, name: str, default: Any, parse: Callable[[str], T], expected: str) -> T:
        if not self.is_set(name):
            if default is _MISSING:
                raise ImproperlyConfigured(f"{name} is required but not set.")
            return default
        value = self.raw(name)
        try:
            return parse(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be {expected}; got {value!r}.") from None


def parse_rate(value: str) -> tuple[int, int]:
    """("1200/min") -> (1200 requests, per 60 seconds); ValueError when it is not a rate."""
    match = RATE.fullmatch(value.strip())
    if match is None:
        raise ValueError(value)
    return int(match["count"]), PERIOD_SECONDS[match["period"][0]]


def _parse_bool(value: str) -> bool:
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(value)


def _parse_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _parse_host_port(item: str) -> tuple[str, int]:
    host, colon, port = item.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = str(ipaddress.IPv6Address(host[1:-1]))  # the form the resolver answers with
    elif ":" in host:  # an IPv6 address without brackets: where does its port start?
        raise ValueError(item)
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(item)
    return host.lower(), int(port)


def _redacted(url: str) -> str:
    """The URL without its password, so an error message never puts a secret in the logs."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, location = rest.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if not (sep and at and colon):
        return url
    return f"{scheme}://{user}:***@{location}"
