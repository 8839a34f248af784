from django.db import migrations


def create_policy(apps, schema_editor):
    """The one policy row exists from the start, so reading the warning pages never writes."""
    apps.get_model("risk", "RiskPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
