"""Reads for the public pages. Every aggregate is one indexed query; nothing loads all reviews.

The rating summary counts EVERY rating received (published or not); only internal feedback
(one team serving another) is left out. That is the product's promise of an honest average.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from businesses.models import Business
from feedback.models import Feedback
from reviews.models import Review

# The page's sorts ("newest" puts featured reviews first; the page says so), and the plain "latest"
# of the widget and the public JSON, which have no room for such a note.
SORTS = {
    "newest": ["-featured", "-published_at", "-id"],
    "highest": ["-feedback__rating", "-published_at", "-id"],
    "lowest": ["feedback__rating", "-published_at", "-id"],
}
LATEST = ["-published_at", "-id"]


@dataclass(frozen=True)
class RatingSummary:
    average_rating: float | None
    rating_count: int
    distribution: dict[str, int]
    verified_count: int = 0  # the ratings of customers who answered an emailed invitation

    def as_dict(self) -> dict:
        return {
            "average_rating": self.average_rating,
            "rating_count": self.rating_count,
            "verified_count": self.verified_count,
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
    """Average, count and 1–5 distribution over every rating received, and how many of them are
    verified customers' (answers to emailed invitations, not open links), in one query."""
    counts = {str(stars): Count("id", filter=Q(rating=stars)) for stars in range(1, 6)}
    row = Feedback.objects.filter(business=business, internal=False).aggregate(
        average=Avg("rating"), total=Count("id"), verified=Count("id", filter=Q(verified=True)), **counts
    )
    average = round(row["average"], 2) if row["average"] is not None else None
    distribution = {str(stars): row[str(stars)] for stars in range(1, 6)}
    return RatingSummary(average, row["total"], distribution, verified_count=row["verified"])


def review_ids_published(
    *, business: Business, stars: int | None = None, verified_only: bool = False, order: list[str] = LATEST
) -> QuerySet:
    """The ids of the published reviews, filtered and in `order`: something to count and slice into pages.

    Only ids: ordering thousands of reviews is cheap on the review table alone, and the rows shown
    are fetched afterwards, for one page only (`reviews_shown`).
    """
    reviews = Review.objects.published().filter(business=business)
    if stars:
        reviews = reviews.filter(feedback__rating=stars)
    if verified_only:
        reviews = reviews.filter(verified=True)
    return reviews.order_by(*order).values_list("pk", flat=True)


def reviews_shown(*, ids: QuerySet | list[int], order: list[str] = LATEST) -> list[Review]:
    """The reviews of one page (`ids`: a slice of `review_ids_published`), with what is shown of them, in one query."""
    return list(Review.objects.filter(pk__in=ids).select_related("feedback", "feedback__staff").order_by(*order))


def staff_shoutouts(*, business: Business, since: datetime | None = None, limit: int = 5) -> list[dict]:
    """Staff members customers named in 4–5 star answers since `since` (this month, in the business's time zone).

    First names only, most mentioned first: [{"name": "Maya", "mentions": 4}, …].
    """
    since = since or month_start(business)
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


def month_start(business: Business) -> datetime:
    """Midnight on the first of the current month where the business is."""
    local = timezone.localtime(timezone.now(), zoneinfo.ZoneInfo(business.timezone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
