"""Background jobs: thin and idempotent — fetch, call a service, safe to retry."""

from __future__ import annotations

from django_tasks import task

from .services.recycle import recycle_bin_purge


@task()
def purge_recycle_bin() -> dict[str, int]:
    return recycle_bin_purge()


@task()
def run_import_job(job_id: int, language: str | None = None) -> dict[str, int] | None:
    """Run one import job (dry run or commit) with its messages in `language`. Idempotent: a finished job
    is left alone."""
    from .services.imports import import_job_run

    job = import_job_run(job_id=job_id, language=language)
    if job is None:
        return None
    return {"processed": job.processed_rows, "created": job.created_count, "updated": job.updated_count,
            "errors": job.error_count}


@task()
def send_task_reminders() -> dict[str, int]:
    """The morning e-mail of overdue and due-today tasks (enqueued daily by the scheduler)."""
    from .services.reminders import task_reminders_send

    return task_reminders_send()


@task()
def database_optimize() -> dict:
    """Nightly: refresh the query planner's statistics (SQLite `ANALYZE` / `PRAGMA optimize`, PostgreSQL
    `ANALYZE`)."""
    from .services.maintenance import database_optimize as optimize

    return optimize()
