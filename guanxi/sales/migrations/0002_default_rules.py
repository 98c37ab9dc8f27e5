"""Default rules a new company starts with; all of them are data an admin edits."""

from django.db import migrations

STAGES = [
    ("Qualification", 10, "open"),
    ("Needs analysis", 25, "open"),
    ("Proposal", 50, "open"),
    ("Negotiation", 75, "open"),
    ("Won", 100, "won"),
    ("Lost", 0, "lost"),
    ("Invalid", 0, "invalid"),
]
DUPLICATE_RULES = {"mobile": "block", "credit_code": "block", "email": "warn", "company": "warn"}


def seed(apps, schema_editor):
    Pipeline = apps.get_model("sales", "Pipeline")
    Stage = apps.get_model("sales", "Stage")
    DuplicateRule = apps.get_model("sales", "DuplicateRule")
    Pool = apps.get_model("sales", "Pool")
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name="Standard sales", is_default=True)
        for position, (name, probability, kind) in enumerate(STAGES):
            Stage.objects.create(pipeline=pipeline, name=name, position=position, probability=probability, kind=kind)
    for field, action in DUPLICATE_RULES.items():
        DuplicateRule.objects.get_or_create(field=field, defaults={"action": action})
    if not Pool.objects.filter(department__isnull=True).exists():
        # Recycling starts switched off so nobody loses customers before an admin has read the rules.
        Pool.objects.create(name="Company pool", is_active=False, no_follow_up_days=30, warn_days_before=3,
                            daily_claim_limit=10, holding_limit=200, reclaim_block_days=7, lock_limit=5)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
