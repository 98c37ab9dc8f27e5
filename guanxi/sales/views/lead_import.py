"""Lead import pages: upload → mapping + dry run report → import. The upload waits in a private file
(named by a random token kept in the user's session) between the steps."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.customers.services.import_parsing import ImportFileError, as_text, read_table
from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_leads import ImportRunForm, ImportUploadForm
from ..services.lead_import import auto_mapping, lead_import

SESSION_KEY = "guanxi_lead_imports"
MAX_BYTES = 10 * 1024 * 1024


def _dir() -> Path:
    path = Path(settings.VAR_DIR) / "lead_imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@web_view
def lead_import_start_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.IMPORT)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            form.add_error("file", _("The file is larger than 10 MB; split it into smaller files."))
        else:
            content = upload.read()
            try:
                read_table(content, upload.name)
            except ImportFileError as exc:
                form.add_error("file", exc.message)
            else:
                token = secrets.token_urlsafe(16)
                (_dir() / token).write_bytes(content)
                uploads = request.session.get(SESSION_KEY, {})
                uploads[token] = upload.name
                request.session[SESSION_KEY] = dict(list(uploads.items())[-5:])
                return redirect("sales:lead_import_run", token=token)
    return render_page(request, "sales/leads/lead_import.html", {"form": form},
                       status=422 if request.method == "POST" else 200)


@web_view
def lead_import_run_view(request: HttpRequest, token: str) -> HttpResponse:
    require(request.user, permissions.IMPORT)
    filename = request.session.get(SESSION_KEY, {}).get(token)
    path = _dir() / token
    if not filename or not path.is_file():
        messages.error(request, _("This upload has expired; upload the file again."))
        return redirect("sales:lead_import")
    content = path.read_bytes()
    table = read_table(content, filename)
    form = ImportRunForm(request.POST or None, headers=table.headers, mapping=auto_mapping(table.headers))
    report, report_error = None, ""
    if request.method == "POST" and form.is_valid():
        dry_run = request.POST.get("action") != "import"
        try:
            report = lead_import(actor=request.user, content=content, filename=filename, mapping=form.mapping(),
                                 dry_run=dry_run, mode=form.cleaned_data["mode"], assign=form.cleaned_data["assign"],
                                 confirm_duplicates=form.cleaned_data["confirm_duplicates"])
        except ValidationError as exc:  # a bad mapping: shown above the form
            report_error = " ".join(exc.messages)
        else:
            if report.committed:
                path.unlink(missing_ok=True)
                messages.success(request, _("Imported: %(created)d new leads, %(updated)d updated.")
                                 % {"created": report.created, "updated": report.updated})
                return redirect(reverse("sales:leads") + "?sort=-id")
    preview = [r for r in table.rows[:20] if r][:3]
    samples = [" · ".join(as_text(r[i]) for r in preview if i < len(r) and as_text(r[i]))[:80]
               for i in range(len(table.headers))]
    return render_page(request, "sales/leads/lead_import.html", {
        "run_form": form, "filename": filename, "report": report, "report_error": report_error,
        "columns": list(zip(form.column_fields(), samples, strict=True)),
    })
