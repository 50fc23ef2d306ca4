"""One mechanism that keeps every owner and manager inside their own business in the admin.

Subclass `BusinessScopedAdmin` (instead of `admin.ModelAdmin`) and set `business_path` to the
lookup from the model to its `Business`. Then, for anyone but a superuser:

- lists, change pages, actions and autocomplete only see the user's businesses' rows (a direct URL
  to another business's object behaves as if it did not exist, as the admin does for any missing
  object);
- every foreign-key and many-to-many choice is narrowed to the same businesses, and so are the
  choices of the list filters on relations;
- a user who runs one business never picks it: it is filled in, fixed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext

from businesses.models import Business, Membership

ALL_ROLES = frozenset(Membership.Role.values)


def business_roles(request: HttpRequest) -> dict[int, str]:
    """{business id: role} of the logged-in user, read once per request."""
    if not hasattr(request, "_business_roles"):
        request._business_roles = dict(
            Membership.objects.filter(user_id=request.user.pk).values_list("business_id", "role")
        )
    return request._business_roles


def business_ids(request: HttpRequest, roles: frozenset[str] = ALL_ROLES) -> list[int]:
    return [business_id for business_id, role in business_roles(request).items() if role in roles]


def business_path_of(model: type[models.Model]) -> str | None:
    """The lookup from `model` to its business, or None for models that belong to no business."""
    if model is Business:
        return "pk"
    if model is get_user_model():
        return "memberships__business"
    registered = admin.site._registry.get(model)
    if isinstance(registered, BusinessScopedAdmin):
        return registered.business_path
    if any(field.name == "business" for field in model._meta.get_fields()):
        return "business"
    return None


def scope_queryset(
    queryset: models.QuerySet, request: HttpRequest, path: str | None, roles: frozenset[str] = ALL_ROLES
) -> models.QuerySet:
    """Narrow `queryset` to the businesses the user runs (unchanged for a superuser)."""
    if request.user.is_superuser or path is None:
        return queryset
    scoped = queryset.filter(**{f"{path}__in": business_ids(request, roles)})
    return scoped.distinct() if "__" in path else scoped


class BusinessScopedAdmin(admin.ModelAdmin):
    business_path: str = "business"
    allowed_roles: frozenset[str] = ALL_ROLES
    # An address typed without a scheme ("example.com") is an https one, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # --- what may be seen ---------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return scope_queryset(super().get_queryset(request), request, self.business_path, self.allowed_roles)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs: Any):
        business_id = self.single_business_id(request) if db_field.name == "business" else None
        if business_id is not None:
            # Kept in the form (hidden and fixed) so constraints that involve it are validated.
            kwargs.update(widget=forms.HiddenInput, initial=business_id, disabled=True)
        return self._scoped_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), request)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs: Any):
        return self._scoped_choices(super().formfield_for_manytomany(db_field, request, **kwargs), request)

    def _scoped_choices(self, formfield, request: HttpRequest):
        if formfield is not None and hasattr(formfield, "queryset"):
            queryset = formfield.queryset
            formfield.queryset = scope_queryset(queryset, request, business_path_of(queryset.model), self.allowed_roles)
        return formfield

    # --- the business field -------------------------------------------------------------------
    def single_business_id(self, request: HttpRequest) -> int | None:
        """The one business of a user who runs exactly one, else None (they choose)."""
        if request.user.is_superuser or self.business_path != "business":
            return None
        ids = business_ids(request, self.allowed_roles)
        return ids[0] if len(ids) == 1 else None

    def get_list_filter(self, request: HttpRequest):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        if self.single_business_id(request) is not None:
            filters = [name for name in filters if name != "business"]
        return [self._scoped_list_filter(list_filter) for list_filter in filters]

    def _scoped_list_filter(self, list_filter):
        # The admin's plain relation filter lists every row of the related table (every business,
        # every staff member); offer only the ones the user's own rows point at.
        path, filter_class = list_filter if isinstance(list_filter, (list, tuple)) else (list_filter, None)
        if not isinstance(path, str) or filter_class not in (None, admin.RelatedFieldListFilter):
            return list_filter
        if get_fields_from_path(self.model, path)[-1].is_relation:
            return (path, admin.RelatedOnlyFieldListFilter)
        return list_filter

    def get_list_display(self, request: HttpRequest):
        display = super().get_list_display(request)
        if self.single_business_id(request) is not None:
            display = [name for name in display if name != "business"]
        return display

    def response_action(self, request: HttpRequest, queryset: models.QuerySet):
        # A forged id that is not a valid key would make the admin's own filter raise (a 500).
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                self.model._meta.pk.to_python(value)
        except ValidationError:
            self.message_user(request, gettext("Select items from the list."), messages.WARNING)
            return None
        return super().response_action(request, queryset)

    # --- what may be done ---------------------------------------------------------------------
    def runs_a_business(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(business_ids(request, self.allowed_roles))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff and self.runs_a_business(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)


class ReadOnlyInline(admin.TabularInline):
    """A record shown inside its parent (a status history, a moderation log, notes): never added to,
    edited or deleted here. Visible to whoever may see the parent, which the parent admin checked."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
