"""The number of SQL queries of every public answer does not grow with the number of reviews."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from reviews.models import Review
from showcase.cache import forget_local
from tests.businesses.factories import StaffMemberFactory
from tests.showcase.helpers import published_reviews_bulk, rating_only

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = [
    "/b/{slug}/",
    "/b/{slug}/?stars=4&sort=lowest",
    "/b/{slug}/?stars=5&sort=highest",
    "/b/{slug}/how-reviews-work/",
    "/b/{slug}/widget.js",
    "/b/{slug}/embed/",
    "/api/v1/public/{slug}/reviews/",
    "/api/v1/public/{slug}/reviews/?page=2&page_size=5",
    "/api/v1/public/{slug}/summary/",
]
# The most any uncached answer may take: the business (found, then loaded afresh for computing), the
# summary, a count, a page of reviews, shout-outs.
MOST_QUERIES = 6


def queries_of(url: str, *, cached: bool = False) -> list[str]:
    if not cached:
        cache.clear()
        forget_local()
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in queries]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_the_query_count_is_the_same_at_ten_and_at_a_thousand_reviews(business, path):
    url = path.format(slug=business.slug)
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    published_reviews_bulk(business, 10, staff=staff)
    Review.objects.filter(business=business).update(reply="Thank you!", featured=True)
    rating_only(business, rating=2)
    at_ten = queries_of(url)

    published_reviews_bulk(business, 990, staff=staff, start=10)
    at_a_thousand = queries_of(url)

    assert Review.objects.published().filter(business=business).count() == 1000
    assert len(at_a_thousand) == len(at_ten), "\n".join(at_a_thousand)
    assert len(at_a_thousand) <= MOST_QUERIES, "\n".join(at_a_thousand)


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_a_cached_answer_makes_at_most_one_query(business, path):
    url = path.format(slug=business.slug)
    published_reviews_bulk(business, 30, staff=StaffMemberFactory(business=business))
    queries_of(url)
    forget_local()  # as in another process: the answer is in the shared cache only

    assert len(queries_of(url, cached=True)) <= 1  # which business the URL names
    assert len(queries_of(url, cached=True)) == 0  # now remembered by this process too


def test_no_query_loads_every_review_into_python(business):
    """Aggregates are computed by the database: no query without a LIMIT reads the review rows."""
    published_reviews_bulk(business, 50)

    sql = queries_of(f"/b/{business.slug}/")

    reading_reviews = [q for q in sql if 'FROM "reviews_review"' in q and "COUNT(" not in q.upper()]
    assert reading_reviews and all("LIMIT" in q.upper() for q in reading_reviews)
