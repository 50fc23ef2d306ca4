"""The business's accent colour and logo on its pages and emails; the colour stylesheet behind them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from businesses.models import DEFAULT_ACCENT_COLOR, Business, contrast_with_white
from feedback.emails import invitation_email
from feedback.links import feedback_url, unsubscribe_url
from feedback.services.open_links import open_feedback_link
from reviews.emails import case_follow_up_email, case_opened_email, conversation_url
from showcase import cache as showcase_cache
from showcase.look import DARK_BACKGROUNDS, LIGHT_BACKGROUNDS, accent_color, contrast, palette, stylesheet
from tests.businesses.factories import BusinessFactory, MembershipFactory, UserFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory
from tests.reviews.factories import CaseFactory

pytestmark = pytest.mark.django_db

TEAL = "#0f766e"
TEAL_SHEET = '<link rel="stylesheet" href="/b/accent/0f766e.css">'
LOGO = "https://cdn.example.org/harbour/logo.png"
# What a bulk update could store (the column holds 7 characters) without the model's validation.
HOSTILE_COLOURS = ["red", "#fff", "#ffffff", '"><i>1', "};*{x:", "#1d4ed", ""]
HOSTILE_VALUES = [
    *HOSTILE_COLOURS,
    "#0f766e;background:url(https://evil.example/x)",
    '#0f766e" onload="alert(1)',
    "</style><script>alert(1)</script>",
    None,
    42,
]
STATIC = Path(settings.BASE_DIR, "static", "css")
INK, DARK_INK, MUTED, DARK_MUTED = "#0f172a", "#f1f5f9", "#475569", "#94a3b8"


@pytest.fixture(autouse=True)
def _no_remembered_business():
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def business() -> Business:
    return BusinessFactory(name="Harbour Books", slug="harbour-books", accent_color=TEAL)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def html_part(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def force_colour(business: Business, value: str) -> None:
    """Write a colour around the model's validation, as a bulk update or a fixture could."""
    Business.objects.filter(pk=business.pk).update(accent_color=value)
    business.refresh_from_db()
    showcase_cache.showcase_cache_invalidate(business.pk)  # on commit: a test captures it to see it done


# --- The colours ----------------------------------------------------------------------------------

valid_accents = st.from_regex(r"#[0-9a-f]{6}", fullmatch=True).filter(lambda colour: contrast_with_white(colour) >= 4.5)


@given(valid_accents)
def test_every_colour_derived_from_a_valid_accent_reads_at_aa_in_light_and_dark(accent):
    colours = palette(accent)
    for background in (*LIGHT_BACKGROUNDS, colours.soft):
        assert contrast(colours.ink, background) >= 4.5
    for background in (*DARK_BACKGROUNDS, colours.dark_soft):
        assert contrast(colours.dark_ink, background) >= 4.5
    # Text on a chosen option's background, in each scheme.
    assert min(contrast(INK, colours.soft), contrast(MUTED, colours.soft)) >= 4.5
    assert min(contrast(DARK_INK, colours.dark_soft), contrast(DARK_MUTED, colours.dark_soft)) >= 4.5
    assert contrast("#ffffff", colours.accent) >= 4.5  # button text


def test_an_accent_that_already_reads_well_is_kept_as_it_is():
    assert palette(TEAL).ink == TEAL
    assert palette(TEAL).dark_ink != TEAL  # too dark on a dark page: a lighter tint


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_anything_but_a_valid_accent_colour_becomes_the_default(value):
    assert accent_color(value) == DEFAULT_ACCENT_COLOR


def test_a_valid_accent_colour_is_written_in_lower_case():
    assert accent_color("#0F766E") == TEAL


@pytest.mark.parametrize("name", ["raves.css", "embed.css"])
def test_the_stylesheets_defaults_are_the_colours_derived_from_the_default_accent(name):
    css = (STATIC / name).read_text()
    colours = palette(DEFAULT_ACCENT_COLOR)
    light, dark = css.split("@media screen and (prefers-color-scheme: dark)")[:2]
    dark = dark.split("\n}\n")[0]
    assert f"--accent-ink: {colours.ink};" in light and f"--accent-ink: {colours.dark_ink};" in dark
    if name == "raves.css":
        assert f"--accent: {colours.accent};" in light
        assert f"--accent-soft: {colours.soft};" in light and f"--accent-soft: {colours.dark_soft};" in dark


# --- The stylesheet of a colour -------------------------------------------------------------------


def test_the_colour_stylesheet_is_css_cached_for_a_year_with_an_etag(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/b/accent/0f766e.css")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
    assert response.content.decode() == stylesheet(TEAL)
    assert f"--accent: {TEAL};" in response.content.decode()
    assert f"--accent-ink: {palette(TEAL).dark_ink};" in response.content.decode()

    again = client.get("/b/accent/0f766e.css", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.head("/b/accent/0f766e.css").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/b/accent/ffffff.css",  # too light for white text: the model refuses it, so does the stylesheet
        "/b/accent/0F766E.css",
        "/b/accent/fff.css",
        "/b/accent/0f766e0.css",
        "/b/accent/zzzzzz.css",
        "/b/accent/0f766e.css.map",
        "/b/accent/%230f766e.css",
        "/b/accent/0f766e%0a.css",
        "/b/accent/.css",
    ],
)
def test_a_colour_the_model_would_refuse_has_no_stylesheet(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.get("Cache-Control", "")


def test_the_colour_stylesheet_only_answers_reads(client):
    assert client.post("/b/accent/0f766e.css").status_code == 405


# --- The pages ------------------------------------------------------------------------------------


def token_pages(business: Business) -> dict[str, str]:
    """A path of each page a customer reaches through a link, for `business`."""
    answering = FeedbackRequestFactory(business=business)
    answered = FeedbackFactory(request__business=business).request
    locked = FeedbackFactory(request__business=business, editable_until=timezone.now() - timedelta(days=1)).request
    expired = FeedbackRequestFactory(business=business, expires_at=timezone.now() - timedelta(days=1))
    case = CaseFactory(business=business)
    return {
        "form": path_of(feedback_url(answering)),
        "thanks": path_of(feedback_url(answered)) + "thanks/",
        "answer": path_of(feedback_url(locked)),
        "expired": path_of(feedback_url(expired)),
        "unsubscribe": path_of(unsubscribe_url(answering)),
        "conversation": path_of(conversation_url(case)),
        "open form": f"/o/{open_feedback_link(business=business).key}/",
    }


def public_pages(business: Business) -> dict[str, str]:
    return {
        "showcase": f"/b/{business.slug}/",
        "how reviews work": f"/b/{business.slug}/how-reviews-work/",
        "embed": f"/b/{business.slug}/embed/",
    }


def test_every_page_of_the_business_links_its_colours(business):
    for name, path in (token_pages(business) | public_pages(business)).items():
        response = Client().get(path)
        assert response.status_code in {200, 410}, name
        html = response.content.decode()
        assert html.count(TEAL_SHEET) == 1, name
        # The policy stays strict: styles from our own origin only, inline ones refused.
        assert "style-src 'self';" in response["Content-Security-Policy"] + ";", name
        assert "unsafe-inline" not in response["Content-Security-Policy"], name


def test_a_business_in_the_default_colour_needs_no_extra_stylesheet(business):
    business.accent_color = DEFAULT_ACCENT_COLOR
    business.save()
    for name, path in (token_pages(business) | public_pages(business)).items():
        assert "/b/accent/" not in Client().get(path).content.decode(), name


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_a_colour_written_around_the_validation_never_reaches_a_page(business, value):
    force_colour(business, value)
    for name, path in (token_pages(business) | public_pages(business)).items():
        html = Client().get(path).content.decode()
        assert "/b/accent/" not in html, name
        assert "<i>1" not in html and "};*{x:" not in html, name


def test_the_logo_shows_on_the_public_pages_and_is_the_only_image_allowed_from_elsewhere(business):
    business.logo_url = LOGO
    business.save()
    for name, path in public_pages(business).items():
        if name == "embed":
            continue  # the business's own site frames it: its logo is already there
        response = Client().get(path)
        assert f'<img class="logo" src="{LOGO}" alt="Harbour Books logo">' in response.content.decode(), name
        assert "img-src 'self' data: https://cdn.example.org" in response["Content-Security-Policy"], name


def test_pages_behind_a_customer_s_link_load_no_logo_from_another_site(business):
    """A token page loads nothing from elsewhere: the customer's visit is not told to an image host."""
    business.logo_url = LOGO
    business.save()
    for name, path in token_pages(business).items():
        response = Client().get(path)
        assert "cdn.example.org" not in response.content.decode(), name
        assert "cdn.example.org" not in response["Content-Security-Policy"], name


def test_the_printed_showcase_carries_the_page_s_address(business):
    html = Client().get(f"/b/{business.slug}/?lang=en&page=1&sort=highest").content.decode()
    assert '<p class="print-only">https://raves.test/b/harbour-books/</p>' in html


def test_the_widget_links_in_the_business_s_colour_and_never_in_a_forged_one(
    business, django_capture_on_commit_callbacks
):
    script = Client().get(f"/b/{business.slug}/widget.js").content.decode()
    assert f'"accent": "{palette(TEAL).ink}"' in script

    with django_capture_on_commit_callbacks(execute=True):
        force_colour(business, "};*{x:")
    script = Client().get(f"/b/{business.slug}/widget.js").content.decode()
    assert f'"accent": "{DEFAULT_ACCENT_COLOR}"' in script
    assert "};*{x:" not in script


# --- The emails -----------------------------------------------------------------------------------


def test_the_invitation_s_star_links_wear_the_business_colour_under_its_logo(business):
    business.logo_url = LOGO
    business.save()
    html = html_part(invitation_email(FeedbackRequestFactory(business=business)))

    assert html.count(f"color:{TEAL};") == 6  # five star links and the form link
    assert DEFAULT_ACCENT_COLOR not in html
    logo = re.search(r"<img [^>]*>", html)[0]
    assert f'src="{LOGO}"' in logo and 'alt="Harbour Books"' in logo and 'height="48"' in logo
    assert html.index("<img ") < html.index("<h1")


def test_an_email_without_a_logo_has_no_image(business):
    assert "<img" not in html_part(invitation_email(FeedbackRequestFactory(business=business)))


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_follow_up_s_button_and_link_wear_the_business_colour_in_either_language(business, language):
    case = CaseFactory(business=business, resolved_at=timezone.now())
    case.feedback.request.language = language
    case.feedback.request.save()

    html = html_part(case_follow_up_email(case))

    assert f"background:{TEAL};" in html and f'style="color:{TEAL};"' in html
    assert DEFAULT_ACCENT_COLOR not in html
    assert ("schreiben Sie uns" if language == "de" else "write to us about it") in html


def test_the_owner_s_case_alert_button_wears_the_business_colour(business):
    owner = UserFactory(email="owner@harbour-books.example")
    with override("en"):
        html = html_part(case_opened_email(CaseFactory(business=business), owner))
    assert f"background:{TEAL};" in html


@pytest.mark.parametrize("value", HOSTILE_COLOURS)
def test_a_colour_written_around_the_validation_never_reaches_an_email(business, value):
    force_colour(business, value)
    html = html_part(invitation_email(FeedbackRequestFactory(business=business)))
    assert html.count(f"color:{DEFAULT_ACCENT_COLOR};") == 6
    assert "<i>1" not in html and "};*{x:" not in html


# --- The admin ------------------------------------------------------------------------------------


def test_the_owner_picks_the_colour_with_the_browser_s_colour_picker(business):
    client = Client()
    client.force_login(MembershipFactory(business=business).user)

    html = client.get(f"/admin/businesses/business/{business.pk}/change/").content.decode()

    field = re.search(r'<input [^>]*name="accent_color"[^>]*>', html)[0]
    assert 'type="color"' in field and f'value="{TEAL}"' in field
