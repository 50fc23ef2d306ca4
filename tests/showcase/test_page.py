"""The public page of a business: honest summary, reviews with filters, sort and paging, markup, security."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.test import Client

from businesses.models import Business
from reviews.models import Review
from tests.businesses.factories import StaffMemberFactory
from tests.showcase.helpers import (
    HOSTILE_COMMENT,
    HOSTILE_NAME,
    jsonld_of,
    published_reviews_bulk,
    rating_only,
    review,
)

pytestmark = pytest.mark.django_db


def page_url(business: Business, query: str = "") -> str:
    return f"/b/{business.slug}/{query}"


def get_page(business: Business, query: str = "") -> str:
    response = Client().get(page_url(business, query))
    assert response.status_code == 200
    return response.content.decode()


def shown_comments(html: str) -> list[str]:
    return [unescape(text) for text in re.findall(r'<p class="review-text">(.*?)</p>', html, re.S)]


def mixed_ratings(business: Business) -> None:
    """Published 5, pending 4, rejected 1, not-consented 2 (all count) and an internal 1 (does not)."""
    review(business, rating=5, comment="Published five")
    review(business, rating=4, comment="Pending four", status=Review.Status.PENDING)
    review(business, rating=1, comment="Rejected one", status=Review.Status.REJECTED, rejection_reason="offensive")
    rating_only(business, rating=2)
    rating_only(business, rating=1, internal=True)


# --- The honest summary -------------------------------------------------------------------------


def test_the_average_counts_every_rating_received_published_or_not_but_not_internal_feedback(business):
    mixed_ratings(business)

    html = get_page(business)

    # (5 + 4 + 1 + 2) / 4 = 3.0 over four ratings; only the published review is shown.
    assert re.search(r'<span class="average-number">3\.0</span>', html)
    assert "from 4 ratings" in html
    counts = dict(re.findall(r'<th scope="row">(\d) stars?</th>.*?<td class="count">(\d+)</td>', html, re.S))
    assert counts == {"5": "1", "4": "1", "3": "0", "2": "1", "1": "1"}
    assert shown_comments(html) == ["Published five"]


@pytest.mark.parametrize(("ratings", "average", "halves"), [([5, 5, 4, 4, 5], "4.6", 9), ([5, 4, 4, 4, 4], "4.2", 8)])
def test_the_stars_beside_the_average_are_filled_to_the_nearest_half_not_rounded_up(business, ratings, average, halves):
    """4.6 is drawn as four and a half stars, not five; the page, the iframe and its print agree."""
    for rating in ratings:
        rating_only(business, rating=rating)

    html = get_page(business)
    embed = Client().get(f"/b/{business.slug}/embed/").content.decode()

    assert f'<span class="average-number">{average}</span>' in html
    for page in (html, embed):
        assert f'<span class="stars-meter halves-{halves}" aria-hidden="true">' in page


def test_a_business_without_ratings_says_so_and_has_no_aggregate_in_its_markup(business):
    html = get_page(business)

    assert "No ratings yet" in html
    assert "aggregateRating" not in json.loads(jsonld_of(html))


def test_contact_details_are_on_the_page(business):
    business.address = "1 High Street\nLondon"
    business.save()

    html = get_page(business)

    assert f'href="tel:{business.phone}"' in html
    assert f'href="mailto:{business.email}"' in html
    assert f'href="{business.website}"' in html
    assert "1 High Street<br>London" in html


# --- Filters, sort, paging ----------------------------------------------------------------------


def test_the_star_filter_shows_only_reviews_with_that_rating(business):
    for rating in (5, 4, 4, 1):
        review(business, rating=rating, comment=f"Rated {rating}")

    html = get_page(business, "?stars=4")

    assert shown_comments(html) == ["Rated 4", "Rated 4"]
    # The business offers every installed language, so its links name the page's language.
    assert re.search(r'<a href="/b/[^"]+/\?stars=4&amp;lang=en#reviews" aria-current="page"', html)


def test_newest_first_puts_featured_reviews_first_with_a_visible_note(business):
    review(business, comment="Old but featured", featured=True)
    review(business, comment="Newer")
    review(business, comment="Newest")

    html = get_page(business)

    assert shown_comments(html) == ["Old but featured", "Newest", "Newer"]
    assert "Reviews the business chose to feature are shown first" in html
    assert html.count('class="mark featured-mark"') == 1


def test_without_a_featured_review_there_is_no_featured_note(business):
    review(business, comment="Plain")

    assert "chose to feature" not in get_page(business)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("highest", ["Five", "Three", "One"]), ("lowest", ["One", "Three", "Five"])],
)
def test_the_other_sorts_order_by_rating_and_ignore_featuring(business, sort, expected):
    review(business, rating=3, comment="Three", featured=True)
    review(business, rating=1, comment="One")
    review(business, rating=5, comment="Five")

    html = get_page(business, f"?sort={sort}")

    assert shown_comments(html) == expected
    assert "chose to feature" not in html


def test_paging_has_real_links_and_page_two_shows_the_next_reviews(business):
    published_reviews_bulk(business, 25)
    first = get_page(business)

    assert len(shown_comments(first)) == 10
    link = re.search(r'<a href="([^"]+)" rel="next">', first).group(1)
    assert link == f"/b/{business.slug}/?page=2&amp;lang=en#reviews"

    second = get_page(business, "?page=2")
    assert shown_comments(second)[0] == "Bulk review number 14: the team was helpful."
    assert not set(shown_comments(first)) & set(shown_comments(second))
    assert f'<link rel="prev" href="https://raves.test/b/{business.slug}/">' in second
    assert f'<link rel="next" href="https://raves.test/b/{business.slug}/?page=3">' in second  # canonical: no ?lang


def test_a_page_beyond_the_last_is_not_found(business):
    published_reviews_bulk(business, 12)

    assert Client().get(page_url(business, "?page=3")).status_code == 404
    assert Client().get(page_url(business, "?page=999999999")).status_code == 404


@pytest.mark.parametrize("garbage", ["abc", "-1", "0", "1.5", "²", "١", "9" * 5000, ""])
def test_a_garbage_page_number_shows_the_first_page(business, garbage):
    published_reviews_bulk(business, 12)

    html = get_page(business, f"?page={garbage}")

    assert shown_comments(html)[0] == "Bulk review number 11: the team was helpful."


def test_garbage_filters_and_sorts_are_ignored(business):
    review(business, rating=2, comment="Two")

    html = get_page(business, "?stars=9&sort=%3Cscript%3E")

    assert shown_comments(html) == ["Two"]


def test_many_pages_are_linked_without_listing_every_page(business):
    published_reviews_bulk(business, 300)  # 30 pages

    html = get_page(business, "?page=15")

    numbers = re.findall(r'aria-label="Page (\d+)"', html)
    assert numbers == ["1", "13", "14", "15", "16", "17", "30"]
    assert html.count('class="ellipsis"') == 2


def test_a_filtered_or_sorted_variant_is_kept_out_of_search_results_but_page_two_is_not(business):
    published_reviews_bulk(business, 12)
    noindex = '<meta name="robots" content="noindex, follow">'

    assert noindex not in get_page(business)
    assert noindex not in get_page(business, "?page=2")
    assert noindex in get_page(business, "?stars=5")
    assert noindex in get_page(business, "?sort=lowest")


def test_the_canonical_url_is_absolute_on_site_url_and_drops_defaults(business):
    published_reviews_bulk(business, 12)

    html = get_page(business, "?page=2&sort=newest&utm_source=x")

    assert f'<link rel="canonical" href="https://raves.test/b/{business.slug}/?page=2">' in html


# --- What each review shows ---------------------------------------------------------------------


def test_a_review_shows_its_marks_the_staff_first_name_and_the_reply(business):
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    review(
        business,
        comment="Maya sorted it out.",
        staff=staff,
        from_team_member=True,
        reply="Thank you, we passed it on.",
        display_name="Sam K.",
    )

    html = get_page(business)

    assert "✓ Verified customer" in html
    assert "From a team member" in html
    assert "Helped by Maya<" in html
    assert "Lindqvist" not in html
    assert "Thank you, we passed it on." in html
    assert "Sam K." in html


def test_staff_shoutouts_name_the_most_thanked_by_first_name(business):
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    omar = StaffMemberFactory(business=business, name="Omar Haddad")
    published_reviews_bulk(business, 4, staff=maya, start=3)  # rated 4, 5, 1, 2
    published_reviews_bulk(business, 1, staff=omar, start=8)  # rated 4

    html = get_page(business)

    shoutouts = re.findall(r"<li><strong>(\w+)</strong> — named by (\d+)", html)
    assert shoutouts == [("Maya", "2"), ("Omar", "1")]  # only 4–5 star answers count
    assert "Haddad" not in html


# --- Markup -------------------------------------------------------------------------------------


def test_the_json_ld_describes_the_business_its_aggregate_and_exactly_the_reviews_shown(business):
    mixed_ratings(business)
    published_reviews_bulk(business, 14)

    html = get_page(business)
    data = json.loads(jsonld_of(html))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "LocalBusiness"
    assert data["name"] == business.name
    assert data["url"] == f"https://raves.test/b/{business.slug}/"
    assert data["telephone"] == business.phone
    average = float(re.search(r'<span class="average-number">([\d.]+)</span>', html).group(1))
    assert data["aggregateRating"]["ratingValue"] == pytest.approx(average, abs=0.05)
    assert data["aggregateRating"]["ratingCount"] == 18  # 15 published, a pending, a rejected, a private rating
    assert data["aggregateRating"]["bestRating"] == 5
    assert [item["reviewBody"] for item in data["review"]] == shown_comments(html)
    shown_stars = [int(n) for n in re.findall(r'<span class="stars" role="img" aria-label="(\d) out of 5', html)]
    assert [item["reviewRating"]["ratingValue"] for item in data["review"]] == shown_stars


def test_social_tags_describe_the_page(business):
    review(business, rating=4)

    html = get_page(business)

    assert f'<meta property="og:url" content="https://raves.test/b/{business.slug}/">' in html
    assert '<meta property="og:description" content="Rated 4.0/5 from 1 rating.">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_a_skip_link_leads_to_the_reviews(business):
    html = get_page(business)

    assert '<a class="skip-link" href="#reviews">Skip to reviews</a>' in html
    assert '<section id="reviews"' in html


# --- Security -----------------------------------------------------------------------------------


def test_hostile_comments_and_names_are_escaped_in_the_page_and_cannot_leave_the_json_ld(business):
    review(business, comment=HOSTILE_COMMENT, display_name=HOSTILE_NAME, reply='<b onclick="x">reply</b>')
    business.name = 'Bob\'s "Best" </script><script>alert(2)</script>'
    business.save()

    html = get_page(business)

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert '<b onclick="x">' not in html
    # One script element only (the JSON-LD), and it holds exactly what was written.
    assert len(re.findall(r"<script", html)) == 1
    data = json.loads(jsonld_of(html))
    assert data["name"] == business.name
    assert data["review"][0]["reviewBody"] == HOSTILE_COMMENT
    assert data["review"][0]["author"]["name"] == HOSTILE_NAME
    assert shown_comments(html) == [HOSTILE_COMMENT]


def test_the_page_has_a_content_security_policy_without_inline_scripts_and_cannot_be_framed(business):
    response = Client().get(page_url(business))

    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_a_logo_from_another_site_is_the_only_image_source_allowed_from_elsewhere(business):
    business.logo_url = "https://cdn.example.org/logo.png"
    business.save()

    response = Client().get(page_url(business))

    assert "img-src 'self' data: https://cdn.example.org;" in response["Content-Security-Policy"] + ";"
    assert '<img class="logo" src="https://cdn.example.org/logo.png"' in response.content.decode()


# --- Switch-off and methods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/b/{slug}/",
        "/b/{slug}/how-reviews-work/",
        "/b/{slug}/widget.js",
        "/b/{slug}/embed/",
        "/api/v1/public/{slug}/reviews/",
        "/api/v1/public/{slug}/summary/",
    ],
)
def test_a_business_that_switched_its_showcase_off_has_no_public_page_widget_or_json(business, path):
    review(business)
    url = path.format(slug=business.slug)
    Business.objects.filter(pk=business.pk).update(showcase_enabled=False)

    assert Client().get(url).status_code == 404
    assert Client().get(path.format(slug="no-such-business")).status_code == 404


def test_the_switched_off_business_leaves_the_sitemap(business, other_business):
    Business.objects.filter(pk=business.pk).update(showcase_enabled=False)

    xml = Client().get("/sitemap.xml").content.decode()

    assert f"/b/{other_business.slug}/" in xml
    assert f"/b/{business.slug}/" not in xml


def test_head_requests_are_answered_like_get(business):
    response = Client().head(page_url(business))

    assert response.status_code == 200
    assert response.content == b""


def test_how_reviews_work_says_every_rating_counts_and_how_reviews_are_moderated(business):
    response = Client().get(f"/b/{business.slug}/how-reviews-work/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Every customer is invited" in html
    assert "every rating we received" in html
    assert "never for its rating" in html
    assert f'<link rel="canonical" href="https://raves.test/b/{business.slug}/how-reviews-work/">' in html
