"""Translatable names for models and fields whose names Django derives from the code.

A field given no name is called after its attribute ("quiet_period_days" -> "quiet period days"),
a model after its class ("FeedbackRequest" -> "feedback request"). Those derived names are plain
text, never translated, and they are what the admin shows in its headings, columns, filters and
labels. Passing a name instead (`verbose_name=_("…")`) would record it in the migrations, so the
names are set here, on the built model, where the admin reads them and the migrations do not: they
record only what the code passes (a field's and a model's original arguments).
"""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise


def translatable_names(
    model: type[models.Model],
    *,
    verbose_name: Promise | None = None,
    verbose_name_plural: Promise | None = None,
    **fields: Promise,
) -> None:
    """Name `model` (singular, plural) and the given fields in the reader's language.

    Only names Django derived: a name written in the code is translated where it is written.
    """
    options = model._meta
    if verbose_name is not None:
        assert "verbose_name" not in options.original_attrs, f"{model.__name__}: translate Meta.verbose_name there"
        options.verbose_name = verbose_name
    if verbose_name_plural is not None:
        assert "verbose_name_plural" not in options.original_attrs, f"{model.__name__}: translate it in Meta"
        options.verbose_name_plural = verbose_name_plural
    for name, label in fields.items():
        field = options.get_field(name)
        assert field._verbose_name is None, f"{model.__name__}.{name}: translate its verbose_name where it is given"
        field.verbose_name = label
