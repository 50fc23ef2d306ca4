import secrets

from django.db import migrations


def make_links(apps, schema_editor):
    """Every business and every staff member already there gets its open feedback link."""
    Business = apps.get_model("businesses", "Business")
    StaffMember = apps.get_model("businesses", "StaffMember")
    OpenFeedbackLink = apps.get_model("feedback", "OpenFeedbackLink")
    have = set(OpenFeedbackLink.objects.values_list("business_id", "staff_id"))
    wanted = [(pk, None) for pk in Business.objects.values_list("pk", flat=True)]
    wanted += list(StaffMember.objects.values_list("business_id", "pk"))
    OpenFeedbackLink.objects.bulk_create(
        [
            OpenFeedbackLink(business_id=business_id, staff_id=staff_id, key=secrets.token_urlsafe(9))
            for business_id, staff_id in wanted
            if (business_id, staff_id) not in have
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("businesses", "0007_flyer_line"),
        ("feedback", "0009_open_links_channel_team"),
    ]

    operations = [migrations.RunPython(make_links, migrations.RunPython.noop)]
