"""Reads for the public pages. Every aggregate is one indexed query; nothing loads all reviews.

The rating summary counts EVERY rating received (published or not); only internal feedback
(one team serving another) is left out. That is the product's promise of an honest average.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from businesses.models import Business
from feedback.models import Feedback
from reviews.models import Review

SORTS = {
    "newest": ["-featured", "-published_at", "-id"],
    "highest": ["-feedback__rating", "-published_at", "-id"],
    "lowest": ["feedback__rating", "-published_at", "-id"],
}


@dataclass(frozen=True)
class RatingSummary:
    average_rating: float | None
    rating_count: int
    distribution: dict[str, int]

    def as_dict(self) -> dict:
        return {
            "average_rating": self.average_rating,
            "rating_count": self.rating_count,
            "distribution": self.distribution,
        }

    def bars(self) -> list[tuple[int, int, int]]:
        """(stars, count, percent of all ratings) from 5 down to 1, for the distribution chart."""
        total = self.rating_count or 1
        return [
            (stars, self.distribution[str(stars)], round(100 * self.distribution[str(stars)] / total))
            for stars in range(5, 0, -1)
        ]


def business_get_public(*, slug: str) -> Business:
    """The business behind a public page; 404 when unknown or when it switched its page off."""
    return get_object_or_404(Business, slug=slug, showcase_enabled=True)


def rating_summary(*, business: Business) -> RatingSummary:
    """Average, count and 1–5 distribution over every rating received, in one query."""
    counts = {str(stars): Count("id", filter=Q(rating=stars)) for stars in range(1, 6)}
    row = Feedback.objects.filter(business=business, internal=False).aggregate(
        average=Avg("rating"), total=Count("id"), **counts
    )
    average = round(row["average"], 2) if row["average"] is not None else None
    return RatingSummary(average, row["total"], {str(stars): row[str(stars)] for stars in range(1, 6)})


def review_list_published(*, business: Business, stars: int | None = None, sort: str = "newest") -> QuerySet[Review]:
    """Published reviews with what the page shows of them, in the chosen order.

    "newest" puts featured reviews first (the page says so); the other orders ignore featuring.
    """
    reviews = (
        Review.objects.published()
        .filter(business=business)
        .select_related("feedback", "feedback__staff")
        .order_by(*SORTS.get(sort, SORTS["newest"]))
    )
    return reviews.filter(feedback__rating=stars) if stars else reviews


def staff_shoutouts(*, business: Business, since: datetime | None = None, limit: int = 5) -> list[dict]:
    """Staff members customers named in 4–5 star answers since `since` (this month by default).

    First names only, most mentioned first: [{"name": "Maya", "mentions": 4}, …].
    """
    since = since or timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Feedback.objects.filter(
            business=business,
            internal=False,
            rating__gte=4,
            staff__isnull=False,
            staff__active=True,
            submitted_at__gte=since,
        )
        .values("staff_id", "staff__name")
        .annotate(mentions=Count("id"))
        .order_by("-mentions", "staff__name")[:limit]
    )
    return [{"name": (row["staff__name"].split() or [""])[0], "mentions": row["mentions"]} for row in rows]
