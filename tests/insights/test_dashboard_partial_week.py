"""The week still running is shown as partial: its response rate is not drawn as a fall to 0 %."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from insights.charts import Point, bar_chart, line_chart
from insights.dashboard import dashboard_for
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # the week of Monday 23 November is half over
THIS_MONDAY, LAST_MONDAY = date(2026, 11, 23), date(2026, 11, 16)


@pytest.fixture
def weeks(business):
    """Last week: 4 invitations, 2 answered (50 %). This week: 3 sent on Monday, nobody answered yet."""
    last_week = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    for _ in range(2):
        FeedbackFactory(request__business=business, request__sent_at=last_week, rating=5)
    for _ in range(2):
        FeedbackRequestFactory(business=business, sent_at=last_week)
    for _ in range(3):
        FeedbackRequestFactory(business=business, sent_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return business


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_running_week_is_marked_partial_and_left_out_of_the_rate_line(weeks):
    dashboard = dashboard_for(business=weeks, since=date(2026, 10, 27), until=WEDNESDAY.date())

    rows = dashboard.week_rows
    assert [row["monday"] for row in rows[-2:]] == [LAST_MONDAY, THIS_MONDAY]
    assert [row["partial"] for row in rows] == [False] * 11 + [True]
    assert (rows[-1]["requests_sent"], rows[-1]["response_rate"]) == (3, 0)  # the table still tells the truth
    assert dashboard.partial_week == THIS_MONDAY

    rate_chart = str(dashboard.charts["response_rate"])
    assert "16 Nov: 50%" in rate_chart
    assert "23 Nov" not in rate_chart.split("</text>")[-1]  # no dot, no line to it; only its axis label
    assert rate_chart.count('class="dot') == 1
    volume = str(dashboard.charts["volume"])
    assert '<rect class="bar partial" fill-opacity="0.4"' in volume and "23 Nov: 3 (week so far)" in volume


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_page_says_which_week_is_not_over(client, owner, weeks):
    client.force_login(owner)

    html = client.get("/admin/dashboard/").content.decode()

    assert '<time datetime="2026-11-23">23 Nov 2026</time> <span class="partial">(so far)</span>' in html
    assert "The week of 23 Nov is not over yet" in html
    assert '<time datetime="2026-11-16">16 Nov 2026</time></th>' in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_period_that_ended_before_this_week_has_no_partial_week(weeks):
    dashboard = dashboard_for(business=weeks, since=date(2026, 10, 16), until=date(2026, 11, 22))

    assert not any(row["partial"] for row in dashboard.week_rows)
    assert dashboard.partial_week is None
    assert "16 Nov: 50%" in str(dashboard.charts["response_rate"])


def test_a_partial_point_is_a_hollow_dot_off_the_line_and_a_pale_bar():
    points = [Point("2 Nov", 4.0), Point("9 Nov", 4.5), Point("16 Nov", 2.0, partial=True)]

    line = str(line_chart(points, minimum=1, maximum=5, title="Average rating by week"))
    bars = str(bar_chart([Point("9 Nov", 5), Point("16 Nov", 2, partial=True)], title="Requests sent by week"))

    [polyline] = [part for part in line.split("<") if part.startswith("polyline")]
    assert polyline.count(",") == 2  # the line joins the two finished weeks only
    assert '<circle class="dot partial"' in line and "16 Nov: 2 (week so far)" in line
    assert bars.count('class="bar partial"') == 1 and bars.count('class="bar"') == 1
