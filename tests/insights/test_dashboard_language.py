"""The dashboard in the owner's language: German words, numbers ("4,50", "50 %") and dates ("16. Nov. 2026")."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from insights.dashboard import dashboard_for, duration_label
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory
from tests.reviews.test_admin_cases import open_case

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the week of Monday 23 November is half over
PERCENT = "[\u00a0 ]%"  # German writes a space before the sign


@pytest.fixture
def weeks(business):
    """Last week: 4 invitations, 2 answered with 5 and 4 stars. This week: 3 sent, none answered yet."""
    last_week = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    for rating in (5, 4):
        FeedbackFactory(request__business=business, request__sent_at=last_week, rating=rating)
    for _ in range(2):
        FeedbackRequestFactory(business=business, sent_at=last_week)
    for _ in range(3):
        FeedbackRequestFactory(business=business, sent_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return business


def client_for(user, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_german_owner_reads_the_dashboard_in_german_with_german_numbers_and_dates(owner, weeks):
    response = client_for(owner, "de").get("/admin/dashboard/?since=2026-11-16&until=2026-11-25")
    html = response.content.decode()

    assert response.status_code == 200 and response["Content-Language"] == "de"
    assert '<html lang="de"' in html
    assert "Kennzahlen" in html and "Antwortquote" in html and "Ursachen der in diesem Zeitraum gelösten" in html
    assert "4,50★" in html  # the average of 5 and 4
    assert re.search(rf'<p class="big">29{PERCENT}</p>', html)  # 2 of 7 answered
    assert "2 von 7 Kunden haben geantwortet" in html
    assert "vom 16. Nov. 2026 bis zum 25. Nov. 2026" in html
    assert '<time datetime="2026-11-16">16. Nov. 2026</time>' in html
    assert "Die Woche vom 23. Nov. ist noch nicht vorbei" in html
    assert "(bis jetzt)" in html
    rate_chart = html[html.index('aria-label="Antwortquote pro Woche"') :]
    assert re.search(rf"16\. Nov\.: 50{PERCENT}", rate_chart)  # a dot's exact value
    assert re.search(rf">100{PERCENT}</text>", rate_chart)  # the axis
    assert "23. Nov.: 3 (Woche läuft noch)" in html  # the partial bar
    for english in ("Key figures", "Response rate", "Average rating by week", "week so far", "16 Nov 2026"):
        assert english not in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_english_owner_keeps_the_english_dashboard(owner, weeks):
    html = client_for(owner, "en").get("/admin/dashboard/?since=2026-11-16&until=2026-11-25").content.decode()
    assert '<html lang="en"' in html
    assert '<p class="big">29%</p>' in html and "4.50★" in html
    assert "Figures for the requests sent from 16 Nov 2026 to 25 Nov 2026" in html
    assert "16 Nov: 50%" in html and "23 Nov: 3 (week so far)" in html


def test_a_period_the_dashboard_cannot_show_is_explained_in_german(owner, business):
    response = client_for(owner, "de").get("/admin/dashboard/?since=2026-12-01&until=2026-11-01")
    assert response.status_code == 400
    assert "Der Beginn muss am oder vor dem Ende liegen." in response.content.decode()
    response = client_for(owner, "de").get("/admin/dashboard/?since=1899-12-31")
    assert response.status_code == 400
    assert "Wählen Sie ein Datum zwischen 1900-01-01 und" in response.content.decode()


def test_the_complaint_cards_read_german_durations(owner, business):
    case = open_case(business)
    case.first_response_at = case.opened_at + timedelta(days=1, hours=3)
    case.save()
    html = client_for(owner, "de").get("/admin/dashboard/").content.decode()
    assert "1\u00a0Tag 3\u00a0Std." in html
    with translation.override("de"):
        assert duration_label(45) == "45\u00a0Min."
        assert duration_label(3 * 24 * 60) == "3\u00a0Tage"
    assert duration_label(3 * 24 * 60 + 60) == "3\u00a0d 1\u00a0h"


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_charts_follow_the_language_they_are_drawn_in(weeks):
    dashboard = dashboard_for(business=weeks, since=date(2026, 10, 27), until=WEDNESDAY.date())
    with translation.override("de"):
        german = str(dashboard.charts["rating"])
    english = str(dashboard.charts["rating"])
    assert 'aria-label="Durchschnittliche Bewertung pro Woche"' in german and "16. Nov.: 4,5<" in german
    assert 'aria-label="Average rating by week"' in english and "16 Nov: 4.5<" in english


def test_the_german_dashboard_costs_the_same_queries_as_the_english_one(owner, business, django_assert_max_num_queries):
    FeedbackFactory(request__business=business, request__sent_at=datetime.now(tz=UTC) - timedelta(days=2))
    open_case(business)
    english, german = client_for(owner, "en"), client_for(owner, "de")
    english.get("/admin/dashboard/")  # the session and the user, read once for each client
    german.get("/admin/dashboard/")
    with django_assert_max_num_queries(40) as counted:
        english.get("/admin/dashboard/")
    with django_assert_max_num_queries(len(counted.captured_queries)):
        german.get("/admin/dashboard/")
