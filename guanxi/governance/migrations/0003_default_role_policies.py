from django.db import migrations

# role: (mask phone/email of records the person does not own, rows they may export per day)
POLICIES = {
    "admin": (False, None),
    "sales_manager": (False, 50_000),
    "sales_rep": (True, 0),
    "service_manager": (False, 20_000),
    "service_agent": (True, 0),
    "marketing": (True, 20_000),
    "analyst": (True, 20_000),
}


def seed(apps, schema_editor):
    RolePolicy = apps.get_model("governance", "RolePolicy")
    for role, (mask, rows) in POLICIES.items():
        RolePolicy.objects.get_or_create(role=role, defaults={"mask_unowned": mask, "export_daily_rows": rows})


class Migration(migrations.Migration):
    dependencies = [("governance", "0002_rolepolicy_alter_auditlog_action")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
