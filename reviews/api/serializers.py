"""What integrators read about reviews and complaint cases, and what they may change."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from businesses.models import Business, StaffMember
from core.serializer_fields import BlankAsNullChoiceField, StrictBooleanField, TextField
from reviews.models import Case, CaseMessage, CaseNote, Review
from reviews.services.conversation import BODY_MAX_LENGTH

User = get_user_model()
REJECTION_REASONS = ", ".join(Review.RejectionReason.values)
REASON_REQUIRED = f"Rejecting a review needs a content-policy reason; choose one of: {REJECTION_REASONS}."
EDIT_REASON_REQUIRED = f"Rejecting an edit needs a content-policy reason; choose one of: {REJECTION_REASONS}."
REASON_NOT_IN_POLICY = f"“{{input}}” is not a content-policy reason; choose one of: {REJECTION_REASONS}."


class NamedStaffOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# --- Reviews -------------------------------------------------------------------------------------


class PendingEditOutput(serializers.Serializer):
    """The customer's change to a published review, not shown to the public until it is published."""

    comment = serializers.CharField(source="feedback.comment", help_text="The new words, as the customer wrote them.")
    display_name = serializers.CharField(source="feedback.display_name", help_text="The new name to be shown under.")
    edited_at = serializers.DateTimeField()


class ReviewOutput(serializers.ModelSerializer):
    rating = serializers.IntegerField(source="feedback.rating", read_only=True, help_text="1 to 5 stars.")
    comment = serializers.CharField(
        source="feedback.comment", read_only=True, help_text="The customer's words, never edited."
    )
    display_name = serializers.CharField(
        source="feedback.display_name", read_only=True, help_text="The name the customer chose to be shown under."
    )
    staff = NamedStaffOutput(
        source="feedback.staff", read_only=True, allow_null=True, help_text="Who helped, if named."
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=Review.Flag.choices),
        read_only=True,
        help_text="Content flags that help the moderator (never the rating).",
    )
    rejection_reason = BlankAsNullChoiceField(
        choices=Review.RejectionReason.choices,
        allow_null=True,
        read_only=True,
        help_text="The content-policy reason of a rejected review, else null.",
    )
    public_comment = serializers.CharField(
        source="published_comment",
        read_only=True,
        help_text="The approved words the public sees (empty until the review is first published).",
    )
    public_display_name = serializers.CharField(
        source="published_display_name", read_only=True, help_text="The approved name the public sees."
    )
    pending_edit = serializers.SerializerMethodField(
        help_text="The customer's edit of a published review, awaiting moderation, else null. "
        "Decide on it with PATCH `edit`."
    )

    class Meta:
        model = Review
        fields = [
            "id",
            "status",
            "rating",
            "comment",
            "display_name",
            "staff",
            "reply",
            "replied_at",
            "created_at",
            "flags",
            "featured",
            "verified",
            "from_team_member",
            "rejection_reason",
            "published_at",
            "public_comment",
            "public_display_name",
            "pending_edit",
        ]
        read_only_fields = fields

    @extend_schema_field(PendingEditOutput(allow_null=True))
    def get_pending_edit(self, review: Review) -> dict | None:
        return PendingEditOutput(review).data if review.edit_pending else None


class ReviewPatchInput(serializers.Serializer):
    """Moderate a review: publish it, reject it for a content-policy reason, reply in public, feature it."""

    status = serializers.ChoiceField(
        choices=Review.Status.choices,
        required=False,
        help_text="`published` or `rejected`; `pending` only for a review still awaiting moderation.",
    )
    rejection_reason = serializers.ChoiceField(
        choices=Review.RejectionReason.choices,
        required=False,
        error_messages={"invalid_choice": REASON_NOT_IN_POLICY},
        help_text="Required to reject: a content-policy reason. The rating is never a reason.",
    )
    reply = TextField(
        required=False, allow_blank=True, max_length=5000, help_text="Your public reply; an empty text removes it."
    )
    featured = StrictBooleanField(required=False)
    edit = serializers.ChoiceField(
        choices=[("publish", "publish"), ("reject", "reject")],
        required=False,
        help_text="Decide on the customer's pending edit (`pending_edit`): `publish` makes its words public; "
        "`reject` keeps the approved words public and needs an `edit_rejection_reason`.",
    )
    edit_rejection_reason = serializers.ChoiceField(
        choices=Review.RejectionReason.choices,
        required=False,
        error_messages={"invalid_choice": REASON_NOT_IN_POLICY},
        help_text="Required to reject an edit: a content-policy reason. The rating is never a reason.",
    )

    def validate(self, data: dict) -> dict:
        review: Review = self.context["review"]
        _validate_edit_decision(review, data)
        status = data.get("status")
        if status == Review.Status.PENDING and review.status != Review.Status.PENDING:
            raise serializers.ValidationError(
                {"status": "A moderated review cannot be sent back to pending; publish or reject it."}
            )
        rejecting = status == Review.Status.REJECTED or (status is None and review.status == Review.Status.REJECTED)
        if "rejection_reason" in data and not rejecting:
            raise serializers.ValidationError(
                {"rejection_reason": "Only a rejected review has a rejection reason; send it with status “rejected”."}
            )
        if status == Review.Status.REJECTED and "rejection_reason" not in data:
            raise serializers.ValidationError({"rejection_reason": REASON_REQUIRED})
        return data


def _validate_edit_decision(review: Review, data: dict) -> None:
    edit = data.get("edit")
    if edit and "status" in data:
        raise serializers.ValidationError({"edit": "Decide on the edit and change the status in separate calls."})
    if edit and not review.edit_pending:
        raise serializers.ValidationError({"edit": "This review has no edit awaiting moderation."})
    if "edit_rejection_reason" in data and edit != "reject":
        raise serializers.ValidationError(
            {"edit_rejection_reason": "Only a rejected edit has a reason; send it with `edit`: “reject”."}
        )
    if edit == "reject" and "edit_rejection_reason" not in data:
        raise serializers.ValidationError({"edit_rejection_reason": EDIT_REASON_REQUIRED})


# --- Cases ---------------------------------------------------------------------------------------


class CaseFeedbackOutput(serializers.Serializer):
    id = serializers.IntegerField()
    rating = serializers.IntegerField(help_text="The customer's rating now (it may change after the case).")
    comment = serializers.CharField(help_text="The customer's words, never edited.")
    improvement = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    staff = NamedStaffOutput(allow_null=True, help_text="Who served the customer, if named.")


class CaseCustomerOutput(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    email = serializers.EmailField()

    def get_name(self, user: AbstractUser) -> str:
        return user.get_full_name() or user.get_username()


class StaffOwnerOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseNoteOutput(serializers.ModelSerializer):
    author = PersonOutput(read_only=True, allow_null=True, help_text="Null for a note added through the API.")

    class Meta:
        model = CaseNote
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = fields


class BlankAsNullCharField(serializers.CharField):
    """Text stored as "" when unset, shown as null."""

    def to_representation(self, value) -> str | None:
        return super().to_representation(value) if value else None


# Not blank once trimmed, and no NUL (which PostgreSQL cannot store): what the schema promises is accepted.
@extend_schema_field(
    {"type": "string", "minLength": 1, "maxLength": BODY_MAX_LENGTH, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"}
)
class MessageBodyField(TextField):
    """The text of a message: a JSON string with something in it."""


class CaseMessageOutput(serializers.ModelSerializer):
    """One message of the conversation with the customer, or a logged phone call."""

    author = serializers.CharField(
        source="author_label",
        read_only=True,
        help_text="Who wrote it: the customer's name, the name of the owner or manager, or the API key.",
    )

    class Meta:
        model = CaseMessage
        fields = ["id", "direction", "kind", "author", "body", "created_at"]
        read_only_fields = fields


class CaseMessageInput(serializers.Serializer):
    """Write to the customer (emailed to them), or log a phone call with them (not emailed)."""

    body = MessageBodyField(max_length=BODY_MAX_LENGTH, help_text="The message, or what was said on the call.")
    kind = serializers.ChoiceField(
        choices=CaseMessage.Kind.choices,
        default=CaseMessage.Kind.MESSAGE,
        help_text="`message` is emailed to the customer with a link to answer; `call` records a phone call.",
    )

    def validate_body(self, body: str) -> str:
        if not body.strip():
            raise serializers.ValidationError("Write the message (it cannot be empty).")
        return body


class CaseOutput(serializers.ModelSerializer):
    feedback = CaseFeedbackOutput(read_only=True)
    customer = CaseCustomerOutput(source="feedback.customer", read_only=True)
    assignee = PersonOutput(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(
        source="is_overdue", read_only=True, help_text="Open, past its deadline, with no response yet."
    )
    notes = CaseNoteOutput(many=True, read_only=True)
    cause = BlankAsNullCharField(
        read_only=True,
        allow_null=True,
        help_text="Why it went wrong: a slug of the business's list of causes, null until said.",
    )
    system_problem = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="true: a system problem; false: a one-off; null: not said."
    )
    messages = CaseMessageOutput(
        many=True, read_only=True, help_text="The conversation with the customer, oldest first."
    )
    staff_owner = StaffOwnerOutput(
        read_only=True, allow_null=True, help_text="The staff member (no login) who works the case by link."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "status",
            "original_rating",
            "feedback",
            "customer",
            "assignee",
            "opened_at",
            "deadline",
            "overdue",
            "first_response_at",
            "resolved_at",
            "resolution",
            "follow_up_sent_at",
            "notes",
            "cause",
            "system_problem",
            "reopened_at",
            "messages",
            "staff_owner",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class AssigneeField(serializers.PrimaryKeyRelatedField):
    """A user id among the owners and managers of the key's business."""

    default_error_messages = {
        "does_not_exist": "User {pk_value} is not an owner or manager of this business.",
        "incorrect_type": "Send the user id of an owner or manager of this business (a number), or null.",
    }

    def get_queryset(self):
        business: Business | None = self.context.get("business")
        return User.objects.filter(memberships__business=business, is_active=True).distinct()


@extend_schema_field(OpenApiTypes.INT)
class StaffOwnerField(serializers.PrimaryKeyRelatedField):
    """A staff member id among the active staff of the key's business."""

    default_error_messages = {
        "does_not_exist": "Staff member {pk_value} is not an active staff member of this business.",
        "incorrect_type": "Send the id of a staff member of this business (a number), or null.",
    }

    def get_queryset(self):
        return StaffMember.objects.active().filter(business=self.context.get("business"))


class CasePatchInput(serializers.Serializer):
    """Work a case: change its status or assignee, record the resolution, add a note."""

    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    assignee = AssigneeField(
        required=False, allow_null=True, help_text="The user id of an owner or manager of the business, or null."
    )
    staff_owner = StaffOwnerField(
        required=False,
        allow_null=True,
        help_text="The id of a staff member (no login) to own the case: emailed a link to work it; null to take "
        "it away. A change revokes the link sent before.",
    )
    note = TextField(
        required=False,
        allow_blank=True,
        max_length=5000,
        write_only=True,
        help_text="Adds a note to the case (notes are never edited).",
    )
    resolution = TextField(
        required=False, allow_blank=True, max_length=5000, help_text="How it was resolved; required to resolve."
    )
    cause = TextField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text="What caused the complaint: a slug of the business's list (by default waiting_time, quality, "
        "staff_manner, billing, communication, policy, other); required to resolve.",
    )
    system_problem = StrictBooleanField(
        required=False, allow_null=True, help_text="true: a system problem; false: a one-off; null: not said."
    )

    def validate_cause(self, cause: str) -> str:
        business: Business = self.context["business"]
        causes = dict(business.case_cause_choices())
        if cause.strip() and cause.strip() not in causes:
            raise serializers.ValidationError(
                f"“{cause}” is not one of this business's causes; choose one of: " + ", ".join(causes) + "."
            )
        return cause
