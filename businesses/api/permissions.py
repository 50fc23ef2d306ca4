from rest_framework import permissions

from businesses.models import BusinessAPIKey


class HasBusinessAPIKey(permissions.BasePermission):
    """The call carries a valid business API key (checked by the authentication class)."""

    message = "Send your API key as “Authorization: Api-Key <key>”."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, BusinessAPIKey)
