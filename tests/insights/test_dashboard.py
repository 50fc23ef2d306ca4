"""The owner's dashboard: scoped, the same figures as the metrics, bounded queries, safe CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.exports import FEEDBACK_COLUMNS
from insights import metrics
from tests.businesses.factories import MembershipFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = pytest.mark.django_db


def _answers(business, count: int, staff=None) -> None:
    sent = timezone.now() - timedelta(days=2)
    for n in range(count):
        FeedbackFactory(
            request__business=business,
            request__sent_at=sent,
            request__staff=staff,
            staff=staff,
            rating=1 + n % 5,
            recommend_score=n % 11,
        )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def test_the_dashboard_shows_the_same_figures_as_the_metrics(owner_client, business):
    _answers(business, 10)
    FeedbackRequestFactory(business=business, sent_at=timezone.now() - timedelta(days=1))
    response = owner_client.get("/admin/dashboard/")
    assert response.status_code == 200
    shown = response.context["dashboard"].figures
    start, end = metrics.period_bounds(
        business, *(response.context["dashboard"].since, response.context["dashboard"].until)
    )
    assert shown == metrics.figures(business=business, start=start, end=end)
    html = response.content.decode()
    assert "91%" in html  # 10 of 11 answered
    assert "<svg" in html and "Average rating by week" in html


def test_an_owner_never_sees_another_business(owner_client, other_business):
    _answers(other_business, 3)
    response = owner_client.get(f"/admin/dashboard/?business={other_business.pk}")
    assert response.context["dashboard"].business != other_business
    assert owner_client.get(f"/admin/dashboard/feedback.csv?business={other_business.pk}").status_code == 200
    csv_text = b"".join(
        owner_client.get(f"/admin/dashboard/feedback.csv?business={other_business.pk}").streaming_content
    ).decode()
    assert other_business.slug not in csv_text and len(csv_text.strip().splitlines()) == 1


def test_a_login_without_a_business_gets_404(client):
    from tests.businesses.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get("/admin/dashboard/").status_code == 404


def test_the_dashboard_queries_do_not_grow_with_feedback(owner_client, business, django_assert_max_num_queries):
    staff = StaffMemberFactory(business=business)
    _answers(business, 5, staff)
    with django_assert_max_num_queries(40) as few:
        owner_client.get("/admin/dashboard/")
    _answers(business, 60, staff)
    with django_assert_max_num_queries(len(few.captured_queries)):
        owner_client.get("/admin/dashboard/")


def test_the_csv_export_is_formula_safe(owner_client, business):
    FeedbackFactory(request__business=business, request__sent_at=timezone.now(), comment='=HYPERLINK("x")')
    body = b"".join(owner_client.get("/admin/dashboard/feedback.csv").streaming_content).decode()
    assert "'=HYPERLINK" in body


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_the_csv_export_is_formula_safe_whatever_separator_the_spreadsheet_uses(owner_client, business, separator):
    comment = 'Great;=HYPERLINK("http://evil.example")\tok|+1+1,@SUM(A1)\n-2+3; "=cmd'
    FeedbackFactory(request__business=business, request__sent_at=timezone.now(), comment=comment)
    body = b"".join(owner_client.get("/admin/dashboard/feedback.csv").streaming_content).decode().lstrip("\ufeff")

    quote_aware = [cell for row in csv.reader(io.StringIO(body), delimiter=separator) for cell in row]
    naive = [cell for line in body.splitlines() for cell in line.split(separator)]
    for cell in quote_aware + naive:
        assert not cell.strip(' "').startswith(("=", "+", "-", "@")), cell
    # Every field is quoted, so a reader that honours quotes keeps the comment in one cell.
    (row,) = list(csv.reader(io.StringIO(body)))[1:]
    assert any(cell.replace("'", "") == comment for cell in row)


def test_a_bad_period_is_explained(owner_client):
    response = owner_client.get("/admin/dashboard/?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 400
    assert "on or before the end" in response.content.decode()


def test_managers_see_the_dashboard_too(client, business):
    manager = MembershipFactory(business=business, role="manager").user
    client.force_login(manager)
    assert client.get("/admin/dashboard/").status_code == 200


@pytest.mark.parametrize("query", ["until=9999-12-31", "until=0001-01-05", "since=0001-01-01&until=2026-01-01"])
def test_dates_beyond_what_a_period_can_hold_are_explained(owner_client, query):
    response = owner_client.get(f"/admin/dashboard/?{query}")

    assert response.status_code == 400
    assert "Choose a date between 1900-01-01 and 2999-12-31." in response.content.decode()


def test_a_ten_year_period_is_shown_with_every_answer_in_it(owner_client, business):
    FeedbackFactory(request__business=business, request__sent_at=timezone.now() - timedelta(days=365 * 9), rating=2)
    _answers(business, 2)
    today = timezone.localdate()
    since = today.replace(year=today.year - 10)

    response = owner_client.get(f"/admin/dashboard/?since={since}&until={today}")

    assert response.status_code == 200
    assert response.context["dashboard"].figures.requests_sent == 3


def test_the_dashboard_csv_has_the_columns_of_the_admins_answer_export(owner_client, business):
    """One definition of the feedback CSV: a spreadsheet made from either download reads the same."""
    FeedbackFactory(request__business=business, request__sent_at=timezone.now(), improvement="More seats", rating=4)
    body = b"".join(owner_client.get("/admin/dashboard/feedback.csv").streaming_content).decode().lstrip("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert list(row) == [name for name, _ in FEEDBACK_COLUMNS]
    assert (row["improvement"], row["rating"], row["business"]) == ("More seats", "4", business.slug)
