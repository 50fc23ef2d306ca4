"""A staff member's case page speaks their language, and case emails show moments in the business's time.

The page behind `/case/<signed>/` (its forms, errors, confirmations and the 4xx pages its link can
lead to) follows `StaffMember.preferred_language`, says so in `<html lang>` and Content-Language, and
writes dates as that language does, in the business's time zone. A staff member's language must be
one their business offers, in the admin as in the API. The case emails to owners and to the staff
member give the deadline in the business's time zone, not the server's UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import polib
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from businesses.models import Membership
from feedback.services.responses import Answer, feedback_submit
from reviews.emails import case_escalated_email, case_opened_email, case_overdue_email, case_staff_owner_email
from reviews.models import Case, CaseMessage
from reviews.services.staff_cases import case_staff_owner_set
from reviews.staff_links import staff_case_token
from tests.businesses.factories import MembershipFactory, StaffMemberFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.feedback.test_languages import CATALOGUE, english_left, german_not_rendered, outside_the_admin

pytestmark = pytest.mark.django_db
# Date formats, and the customer's own answer form (on their conversation page, not this one).
NOT_SHOWN_AS_WRITTEN = {
    "j F Y, H:i",
    "l j F, H:i e",
    "j M Y, H:i",
    "Your answer",
    "Write your answer before sending it.",
}
# Tuesday 8 December 2026, 14:30 UTC: 15:30 in Berlin (CET, UTC+1 in winter).
DEADLINE = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)


@pytest.fixture
def bakery(business):
    business.name = "Corner Bakery"
    business.timezone = "Europe/Berlin"
    business.save()
    return business


@pytest.fixture
def lena(bakery):
    return StaffMemberFactory(business=bakery, name="Lena Weber", email="lena@corner.example", language="de")


@pytest.fixture
def tom(bakery):
    return StaffMemberFactory(business=bakery, name="Tom Okafor", email="tom@corner.example", language="en")


def given_case(bakery, staff, *, name: str = "Anna Schmidt", email: str = "anna@example.de") -> tuple[Case, str]:
    """A complaint given to `staff`, due at DEADLINE; the case and the path of their link."""
    request = FeedbackRequestFactory(business=bakery, customer__name=name, customer__email=email)
    feedback = feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment="Kalt und spät."))
    Case.objects.filter(feedback=feedback).update(deadline=DEADLINE)
    case = case_staff_owner_set(case=Case.objects.get(feedback=feedback), staff=staff)
    return case, f"/case/{staff_case_token(case)}/"


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def assert_speaks(response, language: str) -> str:
    page = response.content.decode()
    assert html_lang(page) == language
    assert response["Content-Language"] == language
    return page


# --- the page, in the staff member's language ----------------------------------------------------------


def test_a_german_staff_member_reads_their_case_in_german_with_berlin_time(bakery, lena):
    case, path = given_case(bakery, lena)
    CaseMessage.objects.create(
        case=case, direction=CaseMessage.Direction.FROM_CUSTOMER, author_label="Anna", body="Hallo?"
    )
    page = assert_speaks(Client().get(path), "de")
    assert "Eine Kundin oder ein Kunde zum Zurückgewinnen" in page
    assert "Lena Weber, dieser Fall gehört Ihnen." in page
    assert "<strong>Anna Schmidt</strong> hat das Erlebnis mit <strong>1 von 5</strong> bewertet." in page
    assert "Bitte melden Sie sich vor <strong>Dienstag, 8. Dezember, 15:30 Uhr CET</strong>." in page
    assert "Der Kunde ·" in page
    assert "Als gelöst markieren" in page and "Wie wurde es wiedergutgemacht?" in page
    assert "Ein Systemproblem (es könnte wieder vorkommen)" in page
    assert "Wartezeit" in page  # the business's causes, in German too
    assert "Please get back" not in page and "14:30" not in page


def test_a_german_staff_members_refused_form_is_explained_in_german(bakery, lena):
    case, path = given_case(bakery, lena)
    empty = Client().post(path, {"action": "message", "message-body": "   "})
    assert empty.status_code == 400
    assert "Schreiben Sie die Nachricht (sie darf nicht leer sein)." in assert_speaks(empty, "de")
    too_long = Client().post(path, {"action": "call", "call-body": "x" * 20_000})
    assert too_long.status_code == 400
    assert "höchstens 5000 Zeichen" in assert_speaks(too_long, "de")  # Django's own error, in German
    no_cause = Client().post(path, {"action": "resolve", "resolve-resolution": "Neu gebacken.", "resolve-cause": ""})
    assert "Geben Sie an, was die Beschwerde verursacht hat" in assert_speaks(no_cause, "de")
    bad_cause = Client().post(path, {"action": "resolve", "resolve-resolution": "X", "resolve-cause": "<script>"})
    assert bad_cause.status_code == 400
    assert "Bitte eine gültige Auswahl treffen." in assert_speaks(bad_cause, "de")
    assert not CaseMessage.objects.filter(case=case).exists()


def test_a_german_staff_members_actions_are_confirmed_in_german(bakery, lena, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 10, 5, tzinfo=UTC), tick=False)
    case, path = given_case(bakery, lena)
    sent = Client().post(path, {"action": "message", "message-body": "Es tut mir leid, Anna."})
    assert sent.status_code == 302
    assert "Ihre Nachricht ist unterwegs" in assert_speaks(Client().get(sent["Location"]), "de")
    called = Client().post(path, {"action": "call", "call-body": "Angerufen, entschuldigt."})
    page = assert_speaks(Client().get(called["Location"]), "de")
    assert "Das Telefonat ist im Fall festgehalten." in page
    data = {"action": "resolve", "resolve-resolution": "Neu gebacken.", "resolve-cause": "waiting_time"}
    resolved = Client().post(path, data)
    assert resolved.status_code == 302
    page = assert_speaks(Client().get(resolved["Location"]), "de")
    assert "Gelöst. Danke, dass Sie es wiedergutgemacht haben." in page
    assert "Gelöst am 7. Dezember 2026, 11:05 Uhr." in page
    assert "Lena Weber · 7. Dez. 2026, 11:05 · Telefonat" in page  # the call, in Berlin time
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and case.resolved_by_staff == lena


def test_resolving_twice_is_refused_in_german(bakery, lena):
    case, path = given_case(bakery, lena)
    data = {"action": "resolve", "resolve-resolution": "Neu gebacken.", "resolve-cause": "waiting_time"}
    assert Client().post(path, data).status_code == 302
    again = Client().post(path, data)
    assert again.status_code == 400
    assert "Dieser Fall ist bereits gelöst." in assert_speaks(again, "de")


def test_an_english_staff_member_of_a_german_business_stays_english(bakery, tom):
    bakery.default_language = "de"
    bakery.save()
    _, path = given_case(bakery, tom)
    page = assert_speaks(Client(HTTP_ACCEPT_LANGUAGE="de").get(path), "en")
    assert "A customer to win back" in page
    assert "Please get back to them before <strong>Tuesday 8 December, 15:30 CET</strong>." in page
    refused = Client().post(path, {"action": "message", "message-body": ""})
    assert "Write the message (it cannot be empty)." in assert_speaks(refused, "en")
    sent = Client().post(path, {"action": "call", "call-body": "Called Anna."})
    assert "The call is logged on the case." in assert_speaks(Client().get(sent["Location"]), "en")


def test_a_staff_member_without_a_language_reads_the_business_default(bakery):
    bakery.default_language = "de"
    bakery.save()
    _, path = given_case(bakery, StaffMemberFactory(business=bakery, language=""))
    assert "Eine Kundin oder ein Kunde zum Zurückgewinnen" in assert_speaks(Client().get(path), "de")


# --- the 4xx pages its link leads to -------------------------------------------------------------------


def test_a_dead_link_says_so_in_its_staff_members_language(bakery, lena, tom):
    case, lena_path = given_case(bakery, lena)
    case_staff_owner_set(case=case, staff=tom)  # given to Tom: Lena's link opens nothing now
    gone = Client(HTTP_ACCEPT_LANGUAGE="en").get(lena_path)
    assert gone.status_code == 404
    assert "Dieser Link öffnet nichts mehr" in assert_speaks(gone, "de")
    assert Client().post(lena_path, {"action": "message", "message-body": "Hallo"}).status_code == 404
    assert not CaseMessage.objects.exists()


def test_an_expired_link_says_so_in_german(bakery, lena, settings, time_machine):
    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False)
    _, path = given_case(bakery, lena)
    time_machine.shift(timedelta(days=settings.STAFF_CASE_LINK_DAYS, hours=1))
    gone = Client().get(path)
    assert gone.status_code == 404
    assert "Vielleicht ist er abgelaufen" in assert_speaks(gone, "de")


@pytest.mark.parametrize(
    "token", ["not-a-token", "x" * 3000, "eyJjIjoxfQ:1abc:def", "%00%ff", "%3Cscript%3Ealert(1)%3C%5Cscript%3E"]
)
def test_a_link_that_is_not_ours_answers_404_in_the_browsers_language(token):
    german = Client(HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9").get(f"/case/{token}/")
    assert german.status_code == 404
    assert "Dieser Link öffnet nichts mehr" in assert_speaks(german, "de")
    english = Client(HTTP_ACCEPT_LANGUAGE="x" * 500 + ";q=abc,,").get(f"/case/{token}/")
    assert english.status_code == 404
    assert "This link opens nothing" in assert_speaks(english, "en")


def test_too_many_uses_of_a_link_are_paused_in_german(bakery, lena, settings):
    settings.TOKEN_LINK_LIMIT = "2/hour"
    _, path = given_case(bakery, lena)
    client = Client()
    assert [client.get(path).status_code for _ in range(2)] == [200, 200]
    paused = client.get(path)
    assert paused.status_code == 429 and "Retry-After" in paused
    assert "Zu viele Versuche" in assert_speaks(paused, "de")


def test_a_refused_csrf_check_is_explained_in_german_and_changes_nothing(bakery, lena):
    case, path = given_case(bakery, lena)
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post(path, {"action": "message", "message-body": "Hallo"})
    assert refused.status_code == 403
    assert "Bitte versuchen Sie es noch einmal" in assert_speaks(refused, "de")
    assert not CaseMessage.objects.filter(case=case).exists()
    # With the page's own cookie and token, the same post goes through.
    strict.get(path)
    token = strict.cookies["csrftoken"].value
    sent = strict.post(path, {"action": "message", "message-body": "Hallo", "csrfmiddlewaretoken": token})
    assert sent.status_code == 302
    assert CaseMessage.objects.filter(case=case).count() == 1


# --- no English sentence of the catalogue in the German renderings -------------------------------------


def german_case_pages(bakery, lena) -> list[str]:
    """Every state of the case page a German staff member can meet, and the 4xx pages of its link."""
    walk_in_case, walk_in_path = given_case(bakery, lena, name="", email="")
    walk_in_case.feedback.improvement = "Mehr Brezeln."
    walk_in_case.feedback.save()
    case, path = given_case(bakery, lena)
    CaseMessage.objects.create(
        case=case, direction=CaseMessage.Direction.FROM_CUSTOMER, author_label="Anna", body="Hallo?"
    )
    client = Client()
    responses = [client.get(path), client.get(walk_in_path)]  # a thread, and none yet
    for data in (
        {"action": "message", "message-body": ""},
        {"action": "call", "call-body": ""},
        {"action": "resolve", "resolve-resolution": "", "resolve-cause": "", "resolve-system_problem": "bogus"},
    ):
        responses.append(client.post(path, data))
    for data in (
        {"action": "message", "message-body": "Es tut mir leid."},
        {"action": "call", "call-body": "Angerufen."},
        {"action": "resolve", "resolve-resolution": "Neu.", "resolve-cause": "quality"},
    ):
        responses.append(client.get(client.post(path, data)["Location"]))
    responses.append(client.post(path, {"action": "resolve", "resolve-resolution": "X", "resolve-cause": "other"}))
    responses.append(client.get(client.post(walk_in_path, {"action": "message", "message-body": "Hallo"})["Location"]))
    case_staff_owner_set(case=walk_in_case, staff=None)
    responses.append(client.get(walk_in_path))
    responses.append(Client(enforce_csrf_checks=True).post(path, {"action": "call", "call-body": "x"}))
    assert {response.status_code for response in responses} == {200, 400, 403, 404}
    return [response.content.decode() for response in responses]


def test_a_german_staff_member_meets_no_english_sentence_from_the_catalogue(bakery, lena):
    rendered = "\n".join(german_case_pages(bakery, lena))
    catalogue = polib.pofile(str(CATALOGUE))
    left = english_left(rendered, outside_the_admin(catalogue))
    assert left == []
    # Every sentence of the page was rendered above, in German.
    ours = [
        entry
        for entry in catalogue
        if entry.msgid not in NOT_SHOWN_AS_WRITTEN
        and any(path.startswith(("templates/reviews/staff_case", "reviews/forms.py")) for path, _ in entry.occurrences)
    ]
    assert len(ours) > 25
    not_rendered = german_not_rendered(rendered, ours)
    assert not_rendered == []


# --- a staff member's language is one their business offers ------------------------------------------


def test_the_admin_refuses_a_language_the_business_does_not_offer_naming_those_it_does(bakery):
    bakery.languages = ["en"]
    bakery.save()
    owner = MembershipFactory(business=bakery, role=Membership.Role.OWNER, user=UserFactory()).user
    client = Client()
    client.force_login(owner)
    add = reverse("admin:businesses_staffmember_add")
    data = {"business": bakery.pk, "name": "Lena", "email": "lena@corner.example", "language": "de", "active": "on"}
    response = client.post(add, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["language"] == [
        "Choose a language Corner Bakery offers (English), or leave it blank for the business's default."
    ]
    assert not bakery.staff.exists()
    assert client.post(add, {**data, "language": ""}).status_code == 302
    assert client.post(add, {**data, "email": "tom@corner.example", "language": "en"}).status_code == 302
    assert sorted(bakery.staff.values_list("language", flat=True)) == ["", "en"]


def test_the_refusal_speaks_german_to_a_german_owner(bakery):
    bakery.languages = ["de"]
    bakery.default_language = "de"
    bakery.save()
    owner = MembershipFactory(business=bakery, role=Membership.Role.OWNER, user=UserFactory()).user
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(owner)
    data = {"business": bakery.pk, "name": "Tom", "email": "tom@corner.example", "language": "en", "active": "on"}
    page = client.post(reverse("admin:businesses_staffmember_add"), data).content.decode()
    assert "Wählen Sie eine Sprache, die Corner Bakery anbietet (Deutsch)" in page


def test_the_model_refuses_it_on_every_path_and_accepts_an_offered_or_blank_one(bakery, lena):
    bakery.languages = ["en"]
    bakery.save()
    with pytest.raises(ValidationError) as refused:
        lena.full_clean()
    assert list(refused.value.message_dict) == ["language"]
    lena.language = "en"
    lena.full_clean()
    lena.language = ""
    lena.full_clean()
    bakery.languages = []  # none ticked: every installed language is offered
    bakery.save()
    lena.language = "de"
    lena.full_clean()


def test_the_api_keeps_its_own_error_shape(api_client, business):
    business.languages = ["en"]
    business.save()
    response = api_client.post("/api/v1/staff/", {"name": "Lena", "email": "l@x.example", "language": "de"}, "json")
    assert response.status_code == 400
    assert response.json() == {"language": ["Choose one of: en."]}


# --- case emails: the deadline in the business's time zone ----------------------------------------------


def test_case_emails_give_the_deadline_in_the_businesss_time_zone(bakery, lena):
    owner = MembershipFactory(business=bakery, user=UserFactory(first_name="Olivia", last_name="Hart")).user
    case, _ = given_case(bakery, lena)
    case.assignee = owner
    case.overdue_reminded_at = DEADLINE + timedelta(hours=1)
    english = [case_opened_email(case, owner), case_overdue_email(case, owner), case_escalated_email(case, owner)]
    assert english[0].subject.endswith("please respond by Tue 8 Dec, 15:30 CET")
    for message in english:
        html = message.alternatives[0][0]
        for part in (message.body, html):
            assert "Tuesday 8 December, 15:30 CET" in part
            assert "UTC" not in part and "14:30" not in part
    assert "reminded on Tuesday 8 December, 16:30 CET" in english[2].body
    german = case_staff_owner_email(case)
    assert german.subject == "Corner Bakery: Bitte machen Sie eine Beschwerde wieder gut — bis Di, 8. Dez., 15:30 CET"
    for part in (german.body, german.alternatives[0][0]):
        assert "Dienstag, 8. Dezember, 15:30 Uhr CET" in part


def test_summer_deadlines_show_summer_time(bakery, lena):
    case, _ = given_case(bakery, lena)
    case.deadline = datetime(2026, 7, 14, 6, 0, tzinfo=UTC)
    assert "Dienstag, 14. Juli, 08:00 Uhr CEST" in case_staff_owner_email(case).body
