"""Keep link tokens and URL credentials out of every log line (Django's and gunicorn's).

A token in a path (/f/<token>/, /u/<token>/, /digest/unsubscribe/<token>/) is the customer's key to
their answer and their opt-out; a log line is read by more people, and kept longer, than the
database. Django logs the path of every 4xx (`django.request`), gunicorn logs every request line,
and an error may quote a webhook URL with a password in it.
"""

from __future__ import annotations

import copy
import logging
import re

from gunicorn.glogging import Logger as GunicornLogger

REDACTED = "[redacted]"

# Every URL that carries a token in its path: feedback/urls.py, reviews/urls.py (a staff member's
# case link; not the admin's /admin/reviews/case/<id>/), insights/urls.py (signed digest, scorecard
# and meeting sheet links).
TOKEN_PATH = re.compile(r"(/(?:f|u|(?<!reviews/)case|scorecard|digest/unsubscribe|meeting-sheet)/)[^/\s?#\"'<>]+")
# scheme://user:password@host — the user part alone may be a secret too (HTTP basic auth webhooks).
URL_CREDENTIALS = re.compile(r"\b([a-z][a-z0-9+.-]*://)[^/\s@\"'<>]+@", re.IGNORECASE)
# The request headers and environ keys that carry a secret whatever their value looks like.
SECRET_HEADERS = ("authorization", "cookie", "x-api-key", "proxy-authorization")


def redact(text: str) -> str:
    """`text` with token paths and URL credentials replaced by [redacted]."""
    return URL_CREDENTIALS.sub(rf"\1{REDACTED}@", TOKEN_PATH.sub(rf"\1{REDACTED}", text))


class RedactingFilter(logging.Filter):
    """Installed on every handler (config/settings/base.py LOGGING): redacts the record in place.

    The message is formatted first and its arguments dropped, so an argument of any type (a URL
    object, an exception) is redacted as printed. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "META"):
            record.request = redacted_request(request)
        return True


def redacted_request(request):
    """A copy of a Django request whose path, full URL and Referer no longer hold a token.

    `django.request` attaches the request to its 4xx and 5xx records; handlers such as
    AdminEmailHandler print its path and META. The live request is left untouched.
    """
    clone = copy.copy(request)
    clone.path, clone.path_info = redact(request.path), redact(request.path_info)
    clone.META = {key: redact(value) if isinstance(value, str) else value for key, value in request.META.items()}
    for header in ("HTTP_AUTHORIZATION", "HTTP_COOKIE"):
        if header in clone.META:
            clone.META[header] = REDACTED
    return clone


class RedactingGunicornLogger(GunicornLogger):
    """gunicorn's logger (`--logger-class core.log_redaction.RedactingGunicornLogger`), redacted.

    The access log's request line, path, query, Referer and every header atom go through `redact`;
    the basic-auth user and secret headers are never printed. The error log gets RedactingFilter.
    """

    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        redacted = {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
        if redacted.get("u") not in (None, "-"):
            redacted["u"] = REDACTED
        for header in SECRET_HEADERS:
            if f"{{{header}}}i" in redacted:
                redacted[f"{{{header}}}i"] = REDACTED
        for key in ("{http_authorization}e", "{http_cookie}e"):
            if key in redacted:
                redacted[key] = REDACTED
        return redacted

    def setup(self, cfg) -> None:
        super().setup(cfg)
        # Handlers are rebuilt on each reload (SIGHUP), so the filter is added each time.
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
                    handler.addFilter(RedactingFilter())
