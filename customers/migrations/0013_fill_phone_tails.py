"""Give the customers stored before 0008 the keyed hash of their phone's last four digits."""

from django.db import migrations


def fill(apps, schema_editor):
    from customers.search_keys import fill_phone_tails

    fill_phone_tails(apps.get_model("customers", "Customer"))


class Migration(migrations.Migration):
    # Batches in their own transactions: a million customers are not one long transaction.
    atomic = False

    dependencies = [("customers", "0012_customer_given_name_and_phone_tail")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
