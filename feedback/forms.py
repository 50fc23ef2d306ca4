"""The customer's feedback form. Works without JavaScript; every error says what to do."""

from __future__ import annotations

from django import forms

from businesses.models import StaffMember
from feedback.models import Feedback, FeedbackRequest
from feedback.services.responses import Answer, consent_text, display_name_for

RATING_CHOICES = [
    (5, "5 stars — Excellent"),
    (4, "4 stars — Good"),
    (3, "3 stars — Okay"),
    (2, "2 stars — Poor"),
    (1, "1 star — Very poor"),
]
RECOMMEND_CHOICES = [(score, str(score)) for score in range(11)]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How was it?",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "Choose a rating from 1 to 5 stars.",
        },
    )
    comment = forms.CharField(
        label="Tell us more (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
    )
    improvement = forms.CharField(
        label="One thing we could do better (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )
    recommend_score = forms.TypedChoiceField(
        label="How likely are you to recommend us to a friend? (0 = not at all, 10 = extremely)",
        choices=RECOMMEND_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a number from 0 to 10, or leave it empty."},
    )
    staff = forms.ModelChoiceField(
        label="Who helped you? (optional)",
        queryset=StaffMember.objects.none(),
        required=False,
        empty_label="I'm not sure",
        error_messages={"invalid_choice": "Choose someone from the list."},
    )
    consent_to_publish = forms.BooleanField(required=False)
    display_name_choice = forms.ChoiceField(label="Show my review as", widget=forms.RadioSelect)

    def __init__(self, *args, request: FeedbackRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        business = request.business
        self.fields["staff"].queryset = StaffMember.objects.active().filter(business=business)
        self.fields["consent_to_publish"].label = consent_text(business)
        self.fields["display_name_choice"].choices = [
            (Feedback.DisplayName.FIRST_NAME_INITIAL, display_name_for(request.customer, "first_initial")),
            (Feedback.DisplayName.ANONYMOUS, "Anonymous"),
        ]
        self.fields["display_name_choice"].initial = Feedback.DisplayName.FIRST_NAME_INITIAL
        if request.internal:
            # Internal feedback (one team serving another) is never published.
            del self.fields["consent_to_publish"], self.fields["display_name_choice"]
        if not business.ask_recommend_score:
            del self.fields["recommend_score"]

    def answer(self) -> Answer:
        data = self.cleaned_data
        return Answer(
            rating=data["rating"],
            comment=data.get("comment", ""),
            improvement=data.get("improvement", ""),
            recommend_score=data.get("recommend_score"),
            staff=data.get("staff"),
            consent_to_publish=bool(data.get("consent_to_publish")),
            display_name_choice=data.get("display_name_choice") or Feedback.DisplayName.ANONYMOUS,
        )


def initial_for(request: FeedbackRequest, preselected_rating: str | None) -> dict:
    """What the form shows first: the current answer, else the star clicked in the email."""
    feedback = getattr(request, "feedback", None)
    if feedback is not None:
        return {
            "rating": feedback.rating,
            "comment": feedback.comment,
            "improvement": feedback.improvement,
            "recommend_score": feedback.recommend_score,
            "staff": feedback.staff_id,
            "consent_to_publish": feedback.consent_to_publish,
            "display_name_choice": feedback.display_name_choice,
        }
    initial = {"staff": request.staff_id}
    if preselected_rating in {"1", "2", "3", "4", "5"}:
        initial["rating"] = int(preselected_rating)
    return initial
