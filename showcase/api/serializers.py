from __future__ import annotations

from rest_framework import serializers

from reviews.models import Review


class PublicReviewSerializer(serializers.ModelSerializer):
    """A published review as anyone may see it: no email, no customer id, first names only.

    `verified` is true for an answer to an emailed invitation, false for one given through the
    business's open link (a QR code), which anyone may use.
    """

    rating = serializers.IntegerField(source="feedback.rating")
    # The words a moderator approved; a customer's later edit shows once it is approved too.
    comment = serializers.CharField(source="published_comment")
    display_name = serializers.CharField(source="published_display_name")
    staff = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="published_at")

    class Meta:
        model = Review
        fields = [
            "id",
            "rating",
            "comment",
            "display_name",
            "staff",
            "reply",
            "replied_at",
            "created_at",
            "verified",
            "from_team_member",
            "featured",
        ]

    def get_staff(self, review: Review) -> str | None:
        staff = review.feedback.staff
        return (staff.name.split() or [None])[0] if staff else None


class PublicSummarySerializer(serializers.Serializer):
    average_rating = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()
    verified_count = serializers.IntegerField(
        help_text="How many of the ratings came from verified customers (answers to an emailed invitation); "
        "the others were given through the business's open link (a QR code)."
    )
    distribution = serializers.DictField(child=serializers.IntegerField())


class PublicReviewPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PublicReviewSerializer(many=True)
