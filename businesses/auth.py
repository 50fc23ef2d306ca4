"""Owners log in with their email as the username, in whatever letter case they type it; a username
that keeps failing from one address is locked for a while (django-axes)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext


class CaseInsensitiveUsernameBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = User.objects.filter(username__iexact=username.strip()).order_by("id").first()
        if user is None:
            User().set_password(password)  # the same work as a real check, against timing attacks
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


# --- Login lockout (django-axes, configured in settings) -----------------------------------------


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username failures are counted against, in the letter case the backend above ignores:
    "OWNER@x" and "owner@x" fill one counter, as they are one login."""
    source = credentials if credentials is not None else request.POST
    username = source.get("username")
    return username.strip().lower() if isinstance(username, str) else None


def login_locked_out(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """The page a locked-out login gets: what happened and when to try again, in plain words (429)."""
    cool_off = settings.AXES_COOLOFF_TIME
    context = {
        **admin.site.each_context(request),
        "title": gettext("Account locked"),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(cool_off.total_seconds() // 60),
    }
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
