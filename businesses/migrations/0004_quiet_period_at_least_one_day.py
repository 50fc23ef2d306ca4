"""A quiet period of 0 days let a business email one customer on every call: the floor is 1 day."""

from django.db import migrations


def raise_to_one_day(apps, schema_editor) -> None:
    Business = apps.get_model("businesses", "Business")
    Business.objects.filter(quiet_period_days__lt=1).update(quiet_period_days=1)


class Migration(migrations.Migration):
    dependencies = [
        ("businesses", "0003_business_webhook_secret_business_webhook_url"),
    ]

    # Going back keeps the 1: nobody's setting of 0 can be told apart from a 1 afterwards.
    operations = [migrations.RunPython(raise_to_one_day, migrations.RunPython.noop)]
