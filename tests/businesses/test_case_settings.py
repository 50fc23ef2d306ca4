"""A business's own words for complaints: its list of causes and its acknowledgement, edited by its
owner in the admin."""

from __future__ import annotations

import pytest

from businesses.models import DEFAULT_CASE_CAUSES, Business
from tests.businesses.test_business_limits import change_url, logged_in, post_change

pytestmark = pytest.mark.django_db


# --- causes ---------------------------------------------------------------------------------------


def test_a_business_without_its_own_list_files_cases_under_the_default_causes():
    assert Business().case_cause_choices() == [
        ("waiting_time", "Waiting time"),
        ("quality", "Product or service quality"),
        ("staff_manner", "Staff manner"),
        ("billing", "Billing"),
        ("communication", "Communication"),
        ("policy", "A policy"),
        ("other", "Other"),
    ]
    assert Business().case_cause_choices() == DEFAULT_CASE_CAUSES


def test_a_business_s_own_causes_are_one_per_line_with_underscored_slugs_blank_lines_and_repeats_ignored():
    business = Business(case_causes="Parking lot\n\n  Noise at night  \nparking-lot\nWi-Fi\n")

    assert business.case_cause_choices() == [
        ("parking_lot", "Parking lot"),
        ("noise_at_night", "Noise at night"),
        ("wi_fi", "Wi-Fi"),
    ]


def test_a_list_of_only_blank_lines_means_the_defaults():
    assert Business(case_causes="\n  \n").case_cause_choices() == DEFAULT_CASE_CAUSES


def test_the_owner_sets_causes_and_the_acknowledgement_in_the_admin(owner, business):
    template = "Sorry, {customer_first_name}: {who} at {business} will call by {deadline}."

    response = post_change(
        logged_in(owner), business, case_causes="Parking lot\nNoise", acknowledgement_template=template
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    business.refresh_from_db()
    assert business.case_cause_choices() == [("parking_lot", "Parking lot"), ("noise", "Noise")]
    assert business.acknowledgement_template == template


# --- the acknowledgement's placeholders -----------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (
            "Sorry {customer_name}, {who} calls by {deadline}.",
            "Unknown placeholder {customer_name}: use only {business}, {customer_first_name}, {deadline}, {who}.",
        ),
        ("Sorry {who.password}.", "Unknown placeholder {who.password}"),
        ("Sorry {}.", "Unknown placeholder {}"),
        ("Sorry {who", "A “{” or “}” is unmatched"),
        ("Sorry {deadline:%Y}.", "Write placeholders plainly"),
    ],
)
def test_an_unknown_or_malformed_placeholder_is_refused_in_the_admin_with_a_clear_message(
    owner, business, template, message
):
    response = post_change(logged_in(owner), business, acknowledgement_template=template)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["acknowledgement_template"])
    business.refresh_from_db()
    assert business.acknowledgement_template == ""


def test_doubled_braces_are_shown_as_braces_not_refused(owner, business):
    response = post_change(logged_in(owner), business, acknowledgement_template="Sorry {{really}}, {who}.")

    assert response.status_code == 302
    business.refresh_from_db()
    assert business.acknowledgement_template == "Sorry {{really}}, {who}."


def test_the_admin_shows_the_default_wording_beside_an_empty_field(owner, business):
    page = logged_in(owner).get(change_url(business)).content.decode()

    assert "fell short, {customer_first_name}" in page
    assert 'name="case_causes"' in page
