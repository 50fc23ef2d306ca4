"""The open feedback links in the admin (feedback/admin_open_links.py): QR codes that decode to the
link, printable table cards and counter flyers, replacing a link, and business scoping.

Business A (`business`) is run by `owner` (and `manager`); business B (`other_business`) by someone
else. B's names carry a word that appears nowhere in A, so "B's data is not in the page" is a plain
text check.
"""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from django.conf import settings
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw

from businesses.models import Membership
from feedback.flyers import DEFAULT_FLYER_LINE
from feedback.links import open_feedback_url
from feedback.models import OpenFeedbackLink
from feedback.qr import QUIET_ZONE, qr_png, qr_svg
from feedback.services.open_links import open_feedback_link, open_feedback_link_by_key
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

B_SECRET = "Zebediah"
CHANGELIST = reverse("admin:feedback_openfeedbacklink_changelist")
LINK_PAGES = ["qr_svg", "qr_png", "table_card", "counter_flyer", "replace"]


# --- helpers -------------------------------------------------------------------------------------


def url(name: str, link_or_id) -> str:
    object_id = getattr(link_or_id, "pk", link_or_id)
    return reverse(f"admin:feedback_openfeedbacklink_{name}", args=[object_id])


def logged_in(user, **client_options) -> Client:
    client = Client(**client_options)
    client.force_login(user)
    return client


def decoded(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def png_decoded(content: bytes) -> list[str]:
    return decoded(Image.open(io.BytesIO(content)))


def svg_decoded(svg: str, pixels_per_module: int = 8) -> list[str]:
    """Draw the dark path of a segno SVG ("M4 4.5h7m6 0h1…": one-module-high strokes along each
    row) as a bitmap, and decode that: what a scanner would read from the printed vector."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    path = re.search(r'<path[^>]*stroke="#000[^"]*"[^>]*\sd="([^"]+)"', svg).group(1)
    image = Image.new("L", (size * pixels_per_module,) * 2, 255)
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, numbers in re.findall(r"([MmHh])([-\d. ]+)", path):
        values = [float(number) for number in numbers.split()]
        if command in "Mm":
            x, y = (values[0], values[1]) if command == "M" else (x + values[0], y + values[1])
            continue
        end = values[0] if command == "H" else x + values[0]
        row = int(y)  # the stroke runs along the middle of its row
        box = [min(x, end) * pixels_per_module, row * pixels_per_module]
        box += [max(x, end) * pixels_per_module - 1, (row + 1) * pixels_per_module - 1]
        draw.rectangle(box, fill=0)
        x = end
    return decoded(image)


def text(response) -> str:
    return response.content.decode()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def other_business():
    return BusinessFactory(name=f"{B_SECRET} Bakery", slug="zebediah-bakery")


@pytest.fixture
def maya(business):
    return StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@a.example")


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Membership.Role.MANAGER).user


@pytest.fixture
def manager_client(manager) -> Client:
    return logged_in(manager)


@pytest.fixture
def owner_client(owner) -> Client:
    return logged_in(owner)


@pytest.fixture
def link_a(business) -> OpenFeedbackLink:
    return open_feedback_link(business=business)


@pytest.fixture
def link_b(other_business) -> OpenFeedbackLink:
    return open_feedback_link(business=other_business)


@pytest.fixture
def staff_link_b(other_business) -> OpenFeedbackLink:
    staff = StaffMemberFactory(business=other_business, name=f"{B_SECRET} Server", email="z@b.example")
    return open_feedback_link(business=other_business, staff=staff)


# --- the QR codes --------------------------------------------------------------------------------


def test_the_png_and_the_svg_decode_to_the_link_with_a_quiet_zone():
    link_url = "https://raves.example/o/AbC-dEf_GhI1/"

    assert png_decoded(qr_png(link_url)) == [link_url]
    assert svg_decoded(qr_svg(link_url)) == [link_url]
    image = Image.open(io.BytesIO(qr_png(link_url, scale=10))).convert("L")
    # The quiet zone: four modules of white all round.
    assert all(image.getpixel((x, y)) == 255 for x in range(QUIET_ZONE * 10) for y in range(image.height))
    assert image.getpixel((QUIET_ZONE * 10, QUIET_ZONE * 10)) == 0  # the finder pattern's dark corner


def test_the_svg_for_print_has_a_physical_size_and_the_inline_one_is_sized_by_the_page():
    link_url = "https://raves.example/o/AbCdEfGhIjKl/"

    download, inline = qr_svg(link_url), qr_svg(link_url, inline=True)

    assert download.startswith("<?xml") and re.search(r'width="\d+mm"', download)
    assert not inline.startswith("<?xml") and "width=" not in inline.split(">")[0]
    assert 'class="qr-code"' in inline


def test_the_served_qr_codes_decode_to_the_open_link(owner_client, link_a, maya):
    staff_link = open_feedback_link(business=maya.business, staff=maya)

    for link in (link_a, staff_link):
        png = owner_client.get(url("qr_png", link))
        svg = owner_client.get(url("qr_svg", link))

        assert png.status_code == svg.status_code == 200
        assert png["Content-Type"] == "image/png"
        assert svg["Content-Type"] == "image/svg+xml"
        assert png["Content-Disposition"].startswith("attachment;")
        assert png_decoded(png.content) == [open_feedback_url(link)]
        assert svg_decoded(text(svg)) == [open_feedback_url(link)]
    assert "maya-lindqvist" in owner_client.get(url("qr_png", staff_link))["Content-Disposition"]


def test_the_codes_carry_the_site_url(settings, owner_client, link_a):
    settings.SITE_URL = "https://feedback.harbour.example"

    png = owner_client.get(url("qr_png", link_a))

    assert png_decoded(png.content) == [f"https://feedback.harbour.example/o/{link_a.key}/"]


# --- the list ------------------------------------------------------------------------------------


def test_the_list_makes_the_links_of_the_business_and_its_active_staff(owner_client, business, maya):
    StaffMemberFactory(business=business, name="Former Fred", active=False)
    OpenFeedbackLink.objects.all().delete()  # as for a business and staff made before open links existed

    response = owner_client.get(CHANGELIST)

    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert [(link.business, link.staff) for link in shown] == [(business, None), (business, maya)]
    page = text(response)
    for link in shown:
        assert open_feedback_url(link) in page
        for name in ["qr_svg", "qr_png", "table_card", "counter_flyer", "replace"]:
            assert url(name, link) in page
    assert "Table card (A6)" in page and "Counter flyer (A4)" in page
    assert "Former Fred" not in page


def test_showing_the_list_twice_makes_no_second_link(owner_client, business, maya):
    OpenFeedbackLink.objects.all().delete()
    owner_client.get(CHANGELIST)
    owner_client.get(CHANGELIST)

    assert OpenFeedbackLink.objects.filter(business=business).count() == 2


def test_a_manager_sees_only_their_businesss_links(manager_client, business, link_b, staff_link_b):
    response = manager_client.get(CHANGELIST)

    assert response.status_code == 200
    assert {link.business for link in response.context["cl"].result_list} == {business}
    assert B_SECRET.lower() not in text(response).lower()
    assert link_b.key not in text(response)
    # A forged filter on B shows nothing of B either.
    forged = manager_client.get(CHANGELIST, {"business__id__exact": link_b.business_id})
    assert B_SECRET.lower() not in text(forged).lower()
    assert list(forged.context["cl"].result_list) == []


def test_the_list_makes_no_links_for_other_businesses(manager_client, other_business):
    StaffMemberFactory(business=other_business)
    OpenFeedbackLink.objects.all().delete()

    manager_client.get(CHANGELIST)

    assert not OpenFeedbackLink.objects.filter(business=other_business).exists()


def test_a_superuser_sees_every_businesss_links(superuser, business, other_business):
    response = logged_in(superuser).get(CHANGELIST)

    assert {link.business for link in response.context["cl"].result_list} == {business, other_business}


def test_the_business_and_staff_pages_lead_to_their_links(owner_client, business, maya):
    business_page = owner_client.get(reverse("admin:businesses_business_change", args=[business.pk]))
    staff_page = owner_client.get(reverse("admin:businesses_staffmember_change", args=[maya.pk]))

    business_list = f"{CHANGELIST}?business__id__exact={business.pk}"
    staff_list = f"{CHANGELIST}?staff__id__exact={maya.pk}"
    assert business_list in text(business_page)
    assert staff_list in text(staff_page)
    assert "flyer_line" in text(business_page)  # the owner writes the flyer's line there
    assert [link.staff for link in owner_client.get(staff_list).context["cl"].result_list] == [maya]
    assert {link.staff for link in owner_client.get(business_list).context["cl"].result_list} == {None, maya}


def test_the_page_of_one_link_shows_its_code_and_what_to_do_with_it(owner_client, link_a):
    response = owner_client.get(reverse("admin:feedback_openfeedbacklink_change", args=[link_a.pk]))

    assert response.status_code == 200
    page = text(response)
    assert 'class="qr-code"' in page and open_feedback_url(link_a) in page
    assert url("table_card", link_a) in page and url("replace", link_a) in page


# --- printable pages -----------------------------------------------------------------------------


def test_the_table_card_of_the_business(owner_client, business, link_a):
    business.flyer_line = "Coffee roasted next door. Tell us straight."
    business.address = "1 Harbour Street\nPortsmouth"
    business.save()

    response = owner_client.get(url("table_card", link_a))

    assert response.status_code == 200
    page = text(response)
    assert business.name in page and "Tell us how we did" in page
    assert "Coffee roasted next door. Tell us straight." in page
    # Written out as a customer types it: the browser adds the https:// itself.
    assert open_feedback_url(link_a).startswith("https://")
    assert f'<span class="typed-url">{open_feedback_url(link_a).removeprefix("https://")}</span>' in page
    assert '<svg xmlns="http://www.w3.org/2000/svg" viewBox=' in page
    for detail in [business.phone, business.email, business.website.removeprefix("https://"), "1 Harbour Street<br>"]:
        assert detail in page
    assert "css/flyer-a6.css" in page and "css/flyers.css" in page
    assert "<style" not in page and " style=" not in page  # the Content Security Policy allows no inline style


def test_the_counter_flyer_of_a_staff_member_names_them(owner_client, business, maya):
    link = open_feedback_link(business=business, staff=maya)

    response = owner_client.get(url("counter_flyer", link))

    assert response.status_code == 200
    page = text(response)
    assert "Served by Maya?" in page and "Tell us how Maya did" in page
    assert str(DEFAULT_FLYER_LINE) in page  # no line of their own yet
    assert "css/flyer-a4.css" in page


def test_the_stylesheets_set_the_paper_size():
    static = settings.BASE_DIR / "static" / "css"

    assert re.search(r"@page\s*{\s*size:\s*105mm 148mm;\s*size:\s*A6;", (static / "flyer-a6.css").read_text())
    assert re.search(r"@page\s*{\s*size:\s*A4;", (static / "flyer-a4.css").read_text())


def test_the_business_words_are_escaped_on_the_flyer(owner_client, business, link_a):
    business.name = "<script>alert(1)</script> Cafe"
    business.flyer_line = '"><img src=x onerror=alert(2)>'
    business.save()

    page = text(owner_client.get(url("counter_flyer", link_a)))

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Cafe" in page


# --- replacing a link ----------------------------------------------------------------------------


def test_replacing_a_link_asks_first_and_a_get_changes_nothing(owner_client, link_a):
    old_key = link_a.key

    response = owner_client.get(url("replace", link_a))

    assert response.status_code == 200
    assert "Yes, replace this link" in text(response) and open_feedback_url(link_a) in text(response)
    link_a.refresh_from_db()
    assert link_a.key == old_key


def test_replacing_a_link_gives_it_a_new_key_and_the_old_one_stops_working(link_a, owner):
    old_key, old_url = link_a.key, open_feedback_url(link_a)
    client = logged_in(owner, enforce_csrf_checks=True)
    confirmation = client.get(url("replace", link_a))
    token = confirmation.context["csrf_token"]

    response = client.post(url("replace", link_a), {"csrfmiddlewaretoken": str(token)})

    assert response.status_code == 302 and response["Location"] == CHANGELIST
    link_a.refresh_from_db()
    assert link_a.key != old_key
    assert open_feedback_link_by_key(old_key) is None
    assert open_feedback_link_by_key(link_a.key) == link_a
    listed = text(client.get(CHANGELIST))
    assert old_url not in listed and open_feedback_url(link_a) in listed
    assert "codes printed before no longer work" in listed


def test_replacing_without_the_csrf_token_is_refused(link_a, owner):
    old_key = link_a.key

    response = logged_in(owner, enforce_csrf_checks=True).post(url("replace", link_a))

    assert response.status_code == 403
    link_a.refresh_from_db()
    assert link_a.key == old_key


# --- doors: login, scope, methods, hostile ids ----------------------------------------------------


@pytest.mark.parametrize("name", LINK_PAGES)
def test_anonymous_visitors_are_sent_to_the_login(client, link_a, name):
    response = client.get(url(name, link_a))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_visitors_cannot_replace_a_link(client, link_a):
    old_key = link_a.key

    response = client.post(url("replace", link_a))

    assert response.status_code in (302, 403)
    link_a.refresh_from_db()
    assert link_a.key == old_key


@pytest.mark.parametrize("name", LINK_PAGES)
def test_another_businesss_link_is_not_found(manager_client, link_b, staff_link_b, name):
    for link in (link_b, staff_link_b):
        response = manager_client.get(url(name, link))

        assert response.status_code == 404
        assert B_SECRET.lower() not in text(response).lower()


def test_another_businesss_link_cannot_be_replaced_nor_viewed(manager_client, link_b):
    old_key = link_b.key

    replaced = manager_client.post(url("replace", link_b))
    viewed = manager_client.get(reverse("admin:feedback_openfeedbacklink_change", args=[link_b.pk]))

    assert replaced.status_code == viewed.status_code == 404
    link_b.refresh_from_db()
    assert link_b.key == old_key


def test_a_login_that_runs_no_business_finds_no_link(link_a):
    client = logged_in(UserFactory())

    assert client.get(url("qr_png", link_a)).status_code in (403, 404)
    assert client.post(url("replace", link_a)).status_code in (403, 404)


@pytest.mark.parametrize("object_id", ["abc", "0", "-1", "99999999999999999999", "1 OR 1=1", "%00", "..%2F1"])
@pytest.mark.parametrize("name", LINK_PAGES)
def test_malformed_ids_are_not_found(owner_client, link_a, name, object_id):
    response = owner_client.get(url(name, object_id))

    assert response.status_code == 404


@pytest.mark.parametrize("query", ["staff__id__exact=abc", "business__id__exact=1%00", "o=99", "staff__key=x"])
def test_malformed_list_filters_are_no_error(owner_client, link_a, query):
    response = owner_client.get(f"{CHANGELIST}?{query}")

    assert response.status_code in (200, 302)


@pytest.mark.parametrize("name", ["qr_svg", "qr_png", "table_card", "counter_flyer"])
def test_the_downloads_and_pages_refuse_other_methods(owner_client, link_a, name):
    assert owner_client.post(url(name, link_a)).status_code == 405
    assert owner_client.delete(url(name, link_a)).status_code == 405


def test_replacing_refuses_other_methods(owner_client, link_a):
    old_key = link_a.key

    assert owner_client.put(url("replace", link_a)).status_code == 405
    assert owner_client.delete(url("replace", link_a)).status_code == 405
    link_a.refresh_from_db()
    assert link_a.key == old_key


def test_an_inactive_staff_members_link_is_not_offered(owner_client, business, maya):
    link = open_feedback_link(business=business, staff=maya)
    maya.active = False
    maya.save()

    assert owner_client.get(url("table_card", link)).status_code == 404
    assert link not in owner_client.get(CHANGELIST).context["cl"].result_list


def test_links_cannot_be_added_edited_or_deleted_by_hand(owner_client, link_a):
    delete_url = reverse("admin:feedback_openfeedbacklink_delete", args=[link_a.pk])
    assert owner_client.get(reverse("admin:feedback_openfeedbacklink_add")).status_code == 403
    assert owner_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = owner_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [link_a.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert OpenFeedbackLink.objects.filter(pk=link_a.pk).exists()
    change_url = reverse("admin:feedback_openfeedbacklink_change", args=[link_a.pk])
    assert delete_url not in text(owner_client.get(change_url))
    key = link_a.key
    owner_client.post(change_url, {"key": "chosen"})
    link_a.refresh_from_db()
    assert link_a.key == key


def test_deleting_a_staff_member_takes_their_link_with_them(owner_client, business, maya):
    link = open_feedback_link(business=business, staff=maya)
    data = {"action": "delete_selected", "_selected_action": [maya.pk], "post": "yes"}

    owner_client.post(reverse("admin:businesses_staffmember_changelist"), data)

    assert not OpenFeedbackLink.objects.filter(pk=link.pk).exists()
