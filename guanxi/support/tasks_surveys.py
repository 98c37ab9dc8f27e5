"""Background job of surveys: thin — call the service. A retry skips customers already invited."""

from __future__ import annotations

from django_tasks import task


@task()
def send_scheduled_surveys() -> dict[str, int]:
    """Daily (customers/schedule.py): the NPS and other scheduled surveys, capped per run."""
    from .services.surveys import send_scheduled_surveys as send

    return send()
