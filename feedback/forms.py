"""The customer's feedback form. Works without JavaScript; every error says what to do."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from businesses.models import Business, StaffMember
from feedback.models import Feedback, FeedbackRequest, OpenFeedbackLink
from feedback.services.responses import Answer, consent_text, display_name_for

RATING_CHOICES = [
    (5, _("5 stars — Excellent")),
    (4, _("4 stars — Good")),
    (3, _("3 stars — Okay")),
    (2, _("2 stars — Poor")),
    (1, _("1 star — Very poor")),
]
RECOMMEND_CHOICES = [(score, str(score)) for score in range(11)]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How was it?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5 stars."),
            "invalid_choice": _("Choose a rating from 1 to 5 stars."),
        },
    )
    comment = forms.CharField(
        label=_("Tell us more (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
    )
    improvement = forms.CharField(
        label=_("One thing we could do better (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )
    recommend_score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend? (0 = not at all, 10 = extremely)"),
        choices=RECOMMEND_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose a number from 0 to 10, or leave it empty.")},
    )
    staff = forms.ModelChoiceField(
        label=_("Who helped you? (optional)"),
        queryset=StaffMember.objects.none(),
        required=False,
        empty_label=_("I'm not sure"),
        error_messages={"invalid_choice": _("Choose someone from the list.")},
    )
    consent_to_publish = forms.BooleanField(required=False)
    display_name_choice = forms.ChoiceField(label=_("Show my review as"), widget=forms.RadioSelect)

    def __init__(self, *args, request: FeedbackRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._fit(business=request.business, name=request.answering_name, internal=request.internal)

    def _fit(self, *, business: Business, name: str, internal: bool) -> None:
        """Fit the questions to the business (its staff, its wording) and to who answers."""
        self.fields["staff"].queryset = StaffMember.objects.active().filter(business=business)
        self.fields["consent_to_publish"].label = consent_text(business)
        self.fields["display_name_choice"].choices = [
            # Without a name the first choice shows as "Anonymous" too: said in the customer's language.
            (
                Feedback.DisplayName.FIRST_NAME_INITIAL,
                display_name_for(name, "first_initial") if name.split() else _("Anonymous"),
            ),
            (Feedback.DisplayName.ANONYMOUS, _("Anonymous")),
        ]
        self.fields["display_name_choice"].initial = Feedback.DisplayName.FIRST_NAME_INITIAL
        if internal:
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


class OpenFeedbackForm(FeedbackForm):
    """The same questions through an open link (a QR code): a name and an email address may be given.

    `website` is a honeypot: hidden from people (and from screen readers), filled in by bots. A
    submission with it filled is thanked and stored nowhere.
    """

    name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=200)
    email = forms.EmailField(
        label=_("Your email, if you would like a reply (optional)"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter an email address like name@example.com, or leave it empty.")},
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    field_order = ["rating", "comment", "improvement", "recommend_score", "staff", "name", "email"]

    def __init__(self, *args, link: OpenFeedbackLink, **kwargs) -> None:
        super(FeedbackForm, self).__init__(*args, **kwargs)  # not FeedbackForm's: there is no request yet
        self._fit(business=link.business, name="", internal=False)
        self.fields["staff"].initial = link.staff_id
        self.fields["display_name_choice"].choices = [
            (Feedback.DisplayName.FIRST_NAME_INITIAL, _("My first name and last initial")),
            (Feedback.DisplayName.ANONYMOUS, _("Anonymous")),
        ]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())
