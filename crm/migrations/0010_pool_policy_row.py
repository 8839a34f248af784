"""The pool rules' one row exists from the start, with the model's defaults: created on first use
it was written by whichever request came first, outside that request's own transaction."""

from django.db import migrations


def create_pool_policy(apps, schema_editor):
    apps.get_model("crm", "PoolPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("crm", "0009_name_pattern_indexes")]

    operations = [migrations.RunPython(create_pool_policy, migrations.RunPython.noop)]
