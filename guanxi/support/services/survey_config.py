"""Setting up surveys (MANAGE_SERVICE): create, change, activate or deactivate, with their extra questions.

Questions are a list of {"key", "label", "type": "text" | "choice" | "scale", "choices": [...], "required"}.
Every problem is reported under `questions` naming the question's number, so the JSON editor can show it.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.services.records import record_create
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Survey

SURVEY_FIELDS = ("name", "kind", "intro", "questions", "send_after_close", "every_days", "valid_days", "is_active")
QUESTION_TYPES = ("text", "choice", "scale")
QUESTION_KEYS = {"key", "label", "type", "choices", "required"}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
MAX_QUESTIONS = 20
MAX_CHOICES = 20


def _question_errors(number: int, question: Any, seen: set[str]) -> tuple[list[str], dict[str, Any] | None]:
    prefix = _("Question %(n)d: ") % {"n": number}
    if not isinstance(question, dict):
        return [prefix + _("write it as an object with key, label and type.")], None
    errors = []
    unknown = sorted(set(question) - QUESTION_KEYS)
    if unknown:
        errors.append(prefix + _("unknown entries %(names)s.") % {"names": ", ".join(unknown)})
    key = question.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.append(prefix + _("the key must be 1-30 lower-case letters, digits or _, starting with a letter."))
    elif key in seen:
        errors.append(prefix + _("the key %(key)s is used twice.") % {"key": key})
    label = question.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 200:
        errors.append(prefix + _("write a label of at most 200 characters."))
    kind = question.get("type", "text")
    if kind not in QUESTION_TYPES:
        errors.append(prefix + _("the type must be text, choice or scale."))
    choices = question.get("choices", [])
    if kind == "choice":
        if (not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES
                or not all(isinstance(c, str) and c.strip() and len(c) <= 100 for c in choices)):
            errors.append(prefix + _("a choice question needs 2 to 20 answers of at most 100 characters."))
        elif len(set(choices)) != len(choices):
            errors.append(prefix + _("an answer is offered twice."))
    elif choices not in ([], None):
        errors.append(prefix + _("only choice questions have answers to choose from."))
    required = question.get("required", False)
    if not isinstance(required, bool):
        errors.append(prefix + _("required must be true or false."))
    if errors:
        return errors, None
    seen.add(key)  # type: ignore[arg-type]
    cleaned = {"key": key, "label": label.strip(), "type": kind, "required": required}  # type: ignore[union-attr]
    if kind == "choice":
        cleaned["choices"] = [c.strip() for c in choices]
    return [], cleaned


def clean_questions(value: Any) -> list[dict[str, Any]]:
    """The questions, normalised; ValidationError({"questions": [...]}) naming each faulty question."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"questions": [_("Write the questions as a list.")]})
    if len(value) > MAX_QUESTIONS:
        raise ValidationError({"questions": [_("At most %(n)d questions.") % {"n": MAX_QUESTIONS}]})
    errors: list[str] = []
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, question in enumerate(value, start=1):
        problems, clean = _question_errors(number, question, seen)
        errors.extend(problems)
        if clean is not None:
            cleaned.append(clean)
    if errors:
        raise ValidationError({"questions": errors})
    return cleaned


def _check(survey: Survey) -> None:
    errors: dict[str, list[str]] = {}
    if survey.send_after_close and survey.kind != Survey.Kind.CSAT:
        errors["send_after_close"] = [_("Only a CSAT survey is sent when a ticket is closed.")]
    if survey.every_days is not None and not 1 <= survey.every_days <= 3650:
        errors["every_days"] = [_("Enter a number of days from 1 to 3650, or leave it empty.")]
    if not 1 <= (survey.valid_days or 0) <= 365:
        errors["valid_days"] = [_("Enter a number of days from 1 to 365.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def survey_save(*, actor: Any, survey: Survey | None, data: dict[str, Any]) -> Survey:
    """Create (survey=None) or change a survey. A survey that has responses keeps its kind, so its scores
    stay comparable."""
    if not permissions.can(actor, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()
    unknown = sorted(set(data) - set(SURVEY_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    data = dict(data)
    if "questions" in data:
        data["questions"] = clean_questions(data["questions"])
    if survey is None:
        survey = Survey(**data)
        _check(survey)
        return record_create(actor=actor, instance=survey)
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if "kind" in data and data["kind"] != locked.kind and locked.responses.exists():
        raise ValidationError({"kind": [_("This survey has answers; its kind cannot change. Create a new survey.")]})
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    _check(locked)
    changes = diff(before, snapshot(locked))
    if changes:
        locked.save()
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


def survey_set_active(*, actor: Any, survey: Survey, active: bool) -> Survey:
    return survey_save(actor=actor, survey=survey, data={"is_active": bool(active)})


@transaction.atomic
def survey_delete(*, actor: Any, survey: Survey) -> None:
    """Remove a survey that was never sent; one with invitations is deactivated instead, to keep its answers."""
    if not permissions.can(actor, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()
    if survey.invitations.exists():
        raise ValidationError({"survey": [_("This survey was sent already; deactivate it instead.")]})
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=survey)
    survey.delete()
