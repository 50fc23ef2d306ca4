"""The customer's answer on their conversation page."""

from __future__ import annotations

from django import forms

from reviews.services.conversation import BODY_MAX_LENGTH


class CustomerReplyForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Write your answer before sending it."},
    )
