"""The import wizard's first steps, in the admin look: choose the type (a), upload the file
(b), choose sheet and header row when needed, map the columns (c); and a type's template
workbook and the relation search of the mapping step.

The wizard's state is the ImportJob in the URL, never the session. Every job view opens with
`_get_job_for_user` (the user's own job, `ImportJob.objects.owned_by`; else 404, also for an
administrator) and `_stale_page`, which sends a page the
job has moved past to the step its state belongs to (STEP_STATES, `step_url`). Every view
needs InSite or Profit rights (R2: else 403 with the reason) and only offers the types the
user is authorised for (R3)."""

from __future__ import annotations

import functools
import itertools
import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.views import admin_page
from dossier.access import import_refusal
from dossier.models import CreationProfile, ItemType, Relation
from dossier.views import submitter_required
from imports import presenting, services, tasks
from imports.forms import ChooseTypeForm, MappingForm, SheetForm, UploadForm
from imports.models import ImportJob, SavedMapping
from imports.pipeline.columns import LeftOutColumn, column_list, unconfirmed, unconfirmed_message
from imports.pipeline.formats import SAMPLE_ROWS as FORMATS_SAMPLE_ROWS
from imports.pipeline.formats import decision_key
from imports.pipeline.mapping import (
    EXACT,
    GUESS,
    LIKELY,
    REMEMBERED,
    Suggestion,
    check_mapping,
    column_title,
    field_entries,
    letter_position,
    new_columns,
)
from imports.pipeline.reconciliation import is_status_column
from imports.template_workbook import template_file_name, write_template
from imports.uploads import SizeLimitedUploadHandler, recognised_name, upload_limits
from spreadsheets.column_formats import date_evidence, decimal_evidence
from spreadsheets.encodings import REGIONS, code_page_name
from spreadsheets.messages import N_
from spreadsheets.reading import ReadError, Row, column_letter, open_table

logger = logging.getLogger(__name__)

SAMPLE_ROWS = 5
# The rows whose values decide how a column writes dates and numbers on the mapping page;
# the check reads every row the way decided (imports/pipeline/formats.py).
FORMAT_ROWS = FORMATS_SAMPLE_ROWS
# The mapping page looks this far into the file for columns with data that no field takes;
# the check reads every row and asks again for any found further down.
SCAN_ROWS = 2000
PREVIEW_ROWS = 12
ROWS_UNDER_FOUND = 3  # the sheet step shows at least these rows under the found column names
RELATION_RESULTS = 20
State = ImportJob.State

# Which job states may show which step. A page whose step the job has left sends the user to
# the step of its state (`step_url`).
STEP_STATES: dict[str, set[str]] = {
    "sheet": {State.UPLOADED},
    "map": {State.UPLOADED, State.MAPPED, State.VALIDATED, State.FAILED},
}


# --- helpers --------------------------------------------------------------------------------


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return admin_page(request, "dossier/refused.html", {"title": _("Not allowed"), "reason": reason}, status=403)


def storage_faults_answered(view):
    """A fault of the server's storage (read-only, full, no permission, a file gone missing:
    an OSError) in a wizard page is one sentence, never a 500 page: the job of the page, if it
    waits for its user (uploaded, mapped, checked), fails with the sentence and the page goes
    to its result; otherwise the sentence is the page (503)."""

    @functools.wraps(view)
    def answered(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OSError as error:
            return _storage_fault_page(request, error, kwargs.get("pk"))

    return answered


def _storage_fault_page(request: HttpRequest, error: OSError, pk) -> HttpResponse:
    message = services.storage_fault(error)
    if message is None:
        logger.exception("The storage failed in %s", request.path, exc_info=error)
        message = N_(
            "The server's storage failed, so the import stopped and nothing was stored; ask an administrator to check the storage, then import again."
        )
    job = ImportJob.objects.owned_by(request.user).filter(pk=pk).first() if pk else None
    if job is not None and job.state in (State.UPLOADED, State.MAPPED, State.VALIDATED):
        services.fail_job(job, message)
        return redirect("imports:result", pk=job.pk)
    return admin_page(
        request, "dossier/refused.html", {"title": _("The server's storage failed"), "reason": message}, status=503
    )


def _get_job_for_user(request: HttpRequest, pk) -> ImportJob:
    """The job, when it is the user's own (404 otherwise, administrators included): one
    rule, ImportJob.objects.owned_by. The wizard acts on a job (its items are submitted as
    its owner); an administrator reads other users' imports in the history and may cancel a
    running one there (imports/admin.py), never continue or commit one here."""
    jobs = ImportJob.objects.owned_by(request.user)
    return get_object_or_404(jobs.select_related("item_type", "creation_profile", "user"), pk=pk)


def _stale_page(request: HttpRequest, job: ImportJob, step: str) -> HttpResponse | None:
    """A redirect to the job's current step when this step is not for its state."""
    if job.state in STEP_STATES[step] and (step != "map" or job.headers):
        return None
    return redirect(step_url(job))


def step_url(job: ImportJob) -> str:
    """Where a job in its state continues."""
    if job.state == State.UPLOADED:
        return reverse("imports:map", args=[job.pk])
    if job.state in (State.MAPPED, State.VALIDATING, State.VALIDATED):
        return reverse("imports:check", args=[job.pk])
    if job.state == State.IMPORTING:
        return reverse("imports:import", args=[job.pk])
    if job.state in (State.DONE, State.UNDONE, State.CANCELLED, State.FAILED):
        return reverse("imports:result", args=[job.pk])
    return history_url(job)


def next_step_after_mapping(job: ImportJob) -> str:
    """The page after a saved mapping: the check, its validation queued for the worker
    (a refusal, R2/R3, is raised as services.ImportRefused)."""
    tasks.start_validation(job=job)
    return reverse("imports:check", args=[job.pk])


def history_url(job: ImportJob) -> str:
    return reverse("admin:imports_importjob_change", args=[job.pk])


def sheet_names(job: ImportJob) -> list[str]:
    """The sheets of the job's file (one for a .csv)."""
    return list(job.sheet_names or [job.sheet])


def needs_sheet_step(job: ImportJob) -> bool:
    """Ask for sheet and header row when there is a choice of sheets, when the column names
    were not found on the first row, or when the first row has one name only (most likely a
    title above the column names)."""
    return len(sheet_names(job)) > 1 or (job.header_row or 1) != 1 or len(job.headers) == 1


def _type_for_user(request: HttpRequest, type_code: str) -> ItemType:
    return get_object_or_404(ItemType.objects.usable_by(request.user), code=type_code)


# --- step a: the type -----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
def new(request: HttpRequest) -> HttpResponse:
    """Step a: the types the user may use, those that cannot be imported disabled with the
    reason; optionally a creation profile. `?type=CODE` preselects a type."""
    if request.method == "POST":
        form = ChooseTypeForm(request.POST, user=request.user)
        if form.is_valid():
            return redirect(form.target_url())
    else:
        form = ChooseTypeForm(initial={"item_type": request.GET.get("type", "")}, user=request.user)
    context = {"title": _("Import dossier items"), "form": form, "step": 1}
    return admin_page(request, "imports/choose_type.html", context)


# --- step b: the upload ---------------------------------------------------------------------


@csrf_exempt  # checked by csrf_protect below, once the size-limited upload handler is in place
@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
@storage_faults_answered
def upload(request: HttpRequest, type_code: str) -> HttpResponse:
    """Step b: the spreadsheet and an optional attachments ZIP for the chosen type and profile.
    The type and profile are checked before the body is read; a file over its limit is
    skipped while it arrives and answered with the limit."""
    item_type = _type_for_user(request, type_code)
    if reason := import_refusal(request.user, item_type):
        return _refused(request, reason)
    profile = None
    if code := request.GET.get("profile"):
        profile = get_object_or_404(CreationProfile.objects.filter(item_type=item_type, is_active=True), code=code)
    limits = upload_limits()
    handler = SizeLimitedUploadHandler(request, limits=limits)
    request.upload_handlers.insert(0, handler)
    if request.method == "POST":
        try:
            request.POST  # noqa: B018 (reads the body now, through the handlers)
        except (RequestDataTooBig, TooManyFieldsSent):
            # Nothing was read, so nothing changes: the form again, with the limit.
            error = _(
                "The form sent more than %(size)s besides its files, the most that can be uploaded this way. Choose the spreadsheet in the file field and send it again."
            ) % {"size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}
            form = UploadForm(limits=limits)
            return _upload_page(request, form, item_type, profile, body_error=error, status=413)
    return csrf_protect(_upload)(request, item_type, profile, limits, handler)


def _upload(request: HttpRequest, item_type: ItemType, profile, limits: dict[str, int], handler) -> HttpResponse:
    if request.method != "POST":
        return _upload_page(request, UploadForm(limits=limits), item_type, profile)
    form = UploadForm(request.POST, request.FILES, limits=limits, too_large=handler.too_large)
    corrects = _corrected_job(request, item_type)
    if form.is_valid() and (job := _start(request, form, item_type, profile, corrects)) is not None:
        url = reverse("imports:sheet" if needs_sheet_step(job) else "imports:map", args=[job.pk])
        return redirect(url + (f"?from={corrects.pk}" if corrects else ""))
    return _upload_page(request, form, item_type, profile)


def _corrected_job(request: HttpRequest, item_type: ItemType) -> ImportJob | None:
    """The user's earlier job of this type that a corrected file replaces (`?corrects=`)."""
    pk = request.GET.get("corrects", "")
    try:
        return ImportJob.objects.owned_by(request.user).filter(item_type=item_type).get(pk=pk) if pk else None
    except (ImportJob.DoesNotExist, ValidationError, ValueError):
        return None


def _upload_page(request, form, item_type, profile, *, body_error: str | None = None, status: int = 200):
    corrects = _corrected_job(request, item_type)
    context = {
        "corrects": corrects,
        "corrects_discard_url": discard_url(request, corrects) if corrects else "",
        "title": _("Upload the file"),
        "form": form,
        "item_type": item_type,
        "profile": profile,
        "body_error": body_error,
        "step": 2,
        "template_url": reverse("imports:template", args=[item_type.code]),
    }
    return admin_page(request, "imports/upload.html", context, status=status)


def _start(
    request: HttpRequest, form: UploadForm, item_type: ItemType, profile, corrects: ImportJob | None = None
) -> ImportJob | None:
    """Start the import with the uploaded files; a refusal goes on the form. A corrected
    file keeps the ZIP of the job it corrects unless another one is uploaded."""
    upload = form.cleaned_data["file"]
    attachments = form.cleaned_data.get("attachments")
    attachments_name = attachments.name if attachments else None
    kept_zip = None
    if attachments is None and corrects is not None and corrects.attachments_zip:
        try:
            kept_zip = attachments = corrects.attachments_zip.open("rb")
            attachments_name = corrects.attachments_name
        except OSError:
            attachments = None
    file_name, recognised = recognised_name(upload, upload.name)
    try:
        job = services.start_import(
            user=request.user,
            item_type=item_type,
            profile=profile,
            file=upload,
            file_name=file_name,
            attachments=attachments,
            attachments_name=attachments_name,
            source=ImportJob.Source.WIZARD,
            corrects=corrects,
        )
    except services.ImportRefused as refusal:
        form.add_error("file", refusal.message)
        return None
    finally:
        if kept_zip is not None:
            kept_zip.close()
    if recognised:
        messages.info(
            request,
            _("'%(name)s' holds a %(format)s file and was read as one.")
            % {"name": upload.name, "format": "." + recognised},
        )
    return job


# --- the sheet and its header row ---------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
@storage_faults_answered
def sheet(request: HttpRequest, pk) -> HttpResponse:
    """Which sheet, and which row holds the column names, with a preview of its first rows.
    "Show" previews another sheet; "Next", or a click on a row's number in the preview
    (`use_row`), reads the headers there. A row number the user chose is kept on another
    sheet; one left as proposed is found again there (SheetForm.chosen_row)."""
    job = _get_job_for_user(request, pk)
    if stale := _stale_page(request, job, "sheet"):
        return stale
    names = sheet_names(job)
    preview_of = job.sheet or names[0]
    preview = _preview(job, preview_of)
    hidden: list[str] = preview["table"].hidden_sheets if preview["table"] is not None else []
    initial = {"sheet": preview_of, "header_row": job.header_row or 1, "proposed_row": preview["found_row"]}
    form = SheetForm(initial=initial, sheets=names, hidden=hidden)
    if request.method == "POST":
        data = request.POST
        if _as_number(data.get("use_row")):
            data = data.copy()
            data["header_row"] = data["use_row"]
        form = SheetForm(data, sheets=names, hidden=hidden)
        shown = data.get("shown_sheet") or preview_of
        if form.is_valid():
            chosen = form.cleaned_data["sheet"]
            row = form.chosen_row(shown)
            if "preview" in data:
                preview = _preview(job, chosen)
                initial = {
                    "sheet": chosen,
                    "header_row": row or preview["found_row"],
                    "proposed_row": preview["found_row"],
                }
                form = SheetForm(initial=initial, sheets=names, hidden=hidden)
            else:
                try:
                    services.choose_sheet(job=job, sheet=chosen, header_row=row)
                except services.ImportRefused as refusal:
                    form.add_error("header_row", refusal.message)
                    preview = _preview(job, chosen)
                else:
                    return redirect("imports:map", pk=job.pk)
    context = {
        "title": _("Choose the sheet and the row with the column names"),
        "job": job,
        "form": form,
        "preview": preview,
        "hidden_sheets": hidden,
        "sheet_count": len(names),
        "chosen_row": _as_number(form["header_row"].value()) or preview["header_row"],
        "step": 2,
    }
    return admin_page(request, "imports/sheet.html", context)


def _as_number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _preview(job: ImportJob, sheet_name: str) -> dict[str, Any]:
    """The first rows of a sheet from its first non-empty row on, as the program numbers them
    (down to a few rows under the row where the column names were found), and that row."""
    try:
        # from the first non-empty row, even where the column names are found below it
        table = open_table(job.file.path, file_name=job.file_name, sheet=sheet_name, guess_header=False)
        try:
            # The rows as they are, not cut to the width of the first one (a title).
            found = table.found_header_row or table.header_row
            rows = []
            for row in table._rows or ():
                if len(rows) + 1 >= PREVIEW_ROWS and row.number > found + ROWS_UNDER_FOUND:
                    break
                rows.append(row)
        finally:
            table.close()
    except ReadError as error:
        return {
            "table": None,
            "error": str(error),
            "rows": [],
            "letters": [],
            "header_row": 1,
            "found_row": None,
            "sheet": sheet_name,
        }
    shown = [Row(table.header_row, tuple(table.headers)), *rows]
    width = max(len(row.cells) for row in shown)
    return {
        "table": table,
        "error": None,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "found_row": found,
        "letters": [column_letter(i) for i in range(width)],
        "rows": [(row.number, [_shown(cell) for cell in row.cells] + [""] * (width - len(row.cells))) for row in shown],
    }


def _shown(cell: Any) -> str:
    """A cell as the mapping page's samples show it: cut short (presenting.SAMPLE_LENGTH)."""
    if cell is None:
        return ""
    if hasattr(cell, "strftime"):
        return cell.strftime("%d-%m-%Y %H:%M" if getattr(cell, "hour", 0) or getattr(cell, "minute", 0) else "%d-%m-%Y")
    return presenting.shortened(str(cell))


# --- step c: the mapping --------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
@storage_faults_answered
def map_columns(request: HttpRequest, pk) -> HttpResponse:
    """Step c: every field of the type with its column or fixed value, saved by
    `services.set_mapping`. Offered first: the user's own mapping remembered for the type and
    this set of headers; the mappings shared for them are a choice (`?shared=<id>`), never
    applied unasked. A user who may change the type may share the mapping under a name."""
    job = _get_job_for_user(request, pk)
    if stale := _stale_page(request, job, "map"):
        return stale
    spec = services.spec_for(job)
    remembered = services.remembered_mapping(job=job)
    shared = services.shared_mappings(job=job, user=request.user)
    chosen = _chosen_shared(request, shared)
    suggestion = services.suggestion_for(job, chosen=chosen)
    if chosen is not None:
        initial = suggestion.mapping
    else:
        initial = job.mapping or _mapping_of_corrected(request, job) or suggestion.mapping
    may_share = services.sharing_refusal(request.user, job.item_type) is None
    data = request.POST if request.method == "POST" else None
    samples, data_columns, encoding, above, cells = _column_samples(job)
    evidence = _column_evidence(cells, spec)
    # The columns a mapping remembered for fewer columns did not have (the status column aside).
    new = set(new_columns(job.headers, remembered.headers)) if remembered and not chosen else set()
    form = MappingForm(
        data,
        spec=spec,
        headers=job.headers,
        user=request.user,
        initial_mapping=initial,
        may_share=may_share,
        data_columns=data_columns,
        evidence=evidence,
    )
    if form.is_valid():
        problems = None
        saving = not _refresh(request)
        left_out = form.left_out_error() if saving else ""
        undecided = form.undecided_errors() if saving else {}
        if left_out or undecided:
            # Nothing is saved while data would be left out unasked, or while a column's
            # dates or numbers could be read two ways; the mapping's own problems are shown
            # with them.
            if left_out:
                form.add_error("not_imported", left_out)
            for name, message in undecided.items():
                form.add_error(name, message)
            problems = check_mapping(spec, job.headers, form.mapping())
        elif saving:
            problems = services.set_mapping(job=job, mapping=form.mapping())
        if problems == [] and not form.errors:
            messages.success(
                request,
                _(
                    "The mapping of %(file)s was saved; once its rows are checked, it is offered to you again for files with the same columns."
                )
                % {"file": job.file_name},
            )
            if name := form.share_name():
                try:
                    services.share_mapping(job=job, user=request.user, name=name)
                except services.ImportRefused as refusal:
                    messages.error(request, refusal.message)
                else:
                    messages.success(
                        request,
                        _("The mapping is shared as '%(name)s' with the users of type %(type)s.")
                        % {"name": name, "type": job.item_type.code},
                    )
            try:
                return redirect(next_step_after_mapping(job))
            except services.ImportRefused as refusal:
                return _refused(request, refusal.message)
        for problem in problems or []:
            name = f"column_{problem.field}"
            form.add_error(name if name in form.fields else None, capfirst(problem.message))
    shown = form.shown_mapping()
    context = {
        "title": _("Map the columns"),
        "job": job,
        "form": form,
        "rows": _field_rows(form, spec, shown, samples, suggestion),
        "columns": _column_rows(job.headers, shown, spec, samples, form, new),
        "auto_fields": [capfirst(f.label) for f in spec.fields if f.auto],
        "remembered": remembered if remembered and not job.mapping and chosen is None else None,
        "new_columns": [column_title(job.headers, position) for position in sorted(new)],
        "title_rows": [(row.number, " ".join(_shown(cell) for cell in row.cells if cell is not None)) for row in above],
        "shared": shared,
        "chosen": chosen,
        "samples": {column_letter(i): values for i, values in enumerate(samples)},
        "formats": _evidence_data(evidence),
        "format_rows": FORMAT_ROWS,
        "may_choose_sheet": job.state == State.UPLOADED and needs_sheet_step(job),
        "sheet_count": len(sheet_names(job)),
        # a CSV read in a code page, told from its words: said, so that wrong letters are seen
        "read_as": code_page_name(encoding) if encoding in REGIONS else None,
        "template_url": reverse("imports:template", args=[job.item_type.code]),
        "step": 3,
    }
    return admin_page(request, "imports/map.html", context)


def _chosen_shared(request: HttpRequest, shared: list[SavedMapping]) -> SavedMapping | None:
    """The shared mapping the user chose on the page (`?shared=<id>`), one of those offered
    to him; anything else chooses none."""
    chosen = request.GET.get("shared", "")
    return next((mapping for mapping in shared if str(mapping.pk) == chosen), None)


def _mapping_of_corrected(request: HttpRequest, job: ImportJob) -> dict[str, dict]:
    """The mapping of the job a corrected file replaces (`?from=`), for the columns the new
    file still has by the same name (and every fixed value)."""
    pk = request.GET.get("from", "")
    try:
        earlier = ImportJob.objects.owned_by(request.user).filter(item_type=job.item_type).get(pk=pk) if pk else None
    except (ImportJob.DoesNotExist, ValidationError, ValueError):
        earlier = None
    if earlier is None:
        return {}
    kept = {}
    for code, source in earlier.mapping.items():
        if "column" in source and source["column"] not in job.headers:
            continue
        if "letter" in source and earlier.headers != job.headers:
            continue
        kept[code] = source
    return kept


def _refresh(request: HttpRequest) -> bool:
    """The "Show" button: the page again with the columns as chosen, nothing saved."""
    return "refresh" in request.POST


def _column_samples(
    job: ImportJob,
) -> tuple[list[list[str]], dict[int, int], str | None, list[Row], dict[int, list[Any]]]:
    """The first values of every column, as text (also of cells right of the last column
    name); the columns with data: position -> the first row with some, from the first
    SCAN_ROWS rows, and from every row when the rows were checked before; the character set a
    CSV was read in; the first rows with content above the column names (a title), which are
    not imported; and the cells of the named columns in the first FORMAT_ROWS rows, as read
    (their dates and numbers)."""
    width = len(job.headers)
    samples: dict[int, list[str]] = {}
    found: dict[int, int] = {}
    above: list[Row] = []
    encoding = None
    cells: dict[int, list[Any]] = {}
    try:
        table = open_table(job.file.path, file_name=job.file_name, sheet=job.sheet or None, header_row=job.header_row)
        above = table.above
        encoding = table.encoding
        try:
            # The rows as they are, not cut to the header's width: cells right of it count.
            for count, row in enumerate(itertools.islice(table._rows or (), SCAN_ROWS)):
                for position, cell in enumerate(row.cells):
                    if cell is not None:
                        found.setdefault(position, row.number)
                        if len(values := samples.setdefault(position, [])) < SAMPLE_ROWS and (text := _shown(cell)):
                            values.append(text)
                        if count < FORMAT_ROWS and position < width:
                            cells.setdefault(position, []).append(cell)
        finally:
            table.close()
    except ReadError:
        pass
    for column in job.left_out_columns or []:
        position = letter_position(column.get("letter", ""))
        if position is not None:
            found[position] = min(found.get(position, column.get("row", 0)), column.get("row", 0))
    size = max([width - 1, *found]) + 1
    return [samples.get(i, []) for i in range(size)], found, encoding, above, cells


def _column_evidence(cells: dict[int, list[Any]], spec) -> dict[int, dict[str, Any]]:
    """What each column's first cells say about how it writes dates and numbers (only what
    a field of the type can ask: a type without number fields needs no decimal evidence)."""
    wanted = {"date_order": date_evidence, "decimal": decimal_evidence}
    keys = {decision_key(spec, field.code) for field in spec.fillable_fields}
    analyses = {key: analyse for key, analyse in wanted.items() if key in keys}
    return {position: {key: analyse(values) for key, analyse in analyses.items()} for position, values in cells.items()}


def _evidence_data(evidence: dict[int, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The evidence of every column for the page's script (which shows it for the column
    chosen): letter -> key -> the decision and the sentences, in the page's language."""
    data = {}
    for position, kinds in evidence.items():
        data[column_letter(position)] = {
            key: {
                "decision": found.order if key == "date_order" else found.separator,
                "ambiguous": found.ambiguous,
                "lines": [str(line) for line in [found.headline(), *found.lines()]],
            }
            for key, found in kinds.items()
        }
    return data


# How sure a suggested column is, as the mapping page says it (mapping.Suggestion.sureness).
SURENESS = {
    EXACT: (
        gettext_lazy("exact"),
        gettext_lazy("The column's name is the field's name or code."),
    ),
    LIKELY: (
        gettext_lazy("likely"),
        gettext_lazy("The column's name is a usual name for this field."),
    ),
    GUESS: (
        gettext_lazy("guess"),
        gettext_lazy("A word in the column's name resembles the field's name: check that it is meant."),
    ),
    REMEMBERED: (
        gettext_lazy("remembered"),
        gettext_lazy("Your mapping of an earlier file with these columns took this column."),
    ),
}


def _source(entry: Any) -> Any:
    """Where a mapping entry takes its value from: its column, letter or fixed value only."""
    if not isinstance(entry, dict):
        return entry
    return {key: value for key, value in entry.items() if key in ("column", "letter", "fixed")}


def _field_rows(
    form: MappingForm, spec, mapping: dict[str, dict], samples: list[list[str]], suggestion: Suggestion
) -> list[dict[str, Any]]:
    """Every fillable field with its column choice, fixed value and the column's first
    values; a column as suggested says how sure the suggestion is."""
    rows = []
    positions = {column_letter(i): i for i in range(len(form.headers))}
    shown_values = {name: form[name].value() or "" for name in form.fields}
    formats = {column_format.code: column_format for column_format in form.column_formats(shown_values)}
    for field in form.spec_fields:
        column = form[f"column_{field.code}"]
        letter = column.value() or ""
        position = positions.get(letter)
        sureness = suggestion.sureness.get(field.code)
        if sureness is not None and _source(mapping.get(field.code)) != _source(suggestion.mapping.get(field.code)):
            sureness = None  # another column was chosen (a decision on how it is written aside)
        rows.append(
            {
                "field": field,
                "column": column,
                "fixed": form[f"fixed_{field.code}"] if f"fixed_{field.code}" in form.fields else None,
                "required": field.needs_value,
                "unfed": field.needs_value and field.code not in mapping,
                "sample": samples[position] if position is not None and position < len(samples) else [],
                "sureness": sureness,
                "sureness_text": SURENESS[sureness] if sureness else None,
                "format": _format_row(form, field.code, formats.get(field.code)),
            }
        )
    return rows


def _format_row(form: MappingForm, code: str, column_format) -> dict[str, Any] | None:
    """How a date or number field's column is written: the select, the evidence (for the
    column chosen), and the decision the mapping remembered, if it is still chosen."""
    key = next((key for key in ("date_order", "decimal") if f"{key}_{code}" in form.fields), None)
    if key is None:
        return None
    remembered = form.remembered(code, key)
    return {
        "key": key,
        "field": form[f"{key}_{code}"],
        "lines": column_format.lines() if column_format else [],
        "undecided": bool(column_format and column_format.undecided),
        "remembered": column_format.label_of(remembered) if column_format and remembered else None,
    }


def _column_rows(
    headers: list[str], mapping: dict[str, Any], spec, samples, form: MappingForm, new: set[int] = frozenset()
) -> list[dict]:
    """Every column of the file with the field it feeds, or none ("not imported"); the
    columns right of the last column name that hold data too. A column with data that no
    field takes has its "not imported" tick box; one in `new` is marked as new (a mapping
    remembered for fewer columns did not have it)."""
    fed_by: dict[int, str] = {}
    unique = {h: i for i, h in enumerate(headers) if h and headers.count(h) == 1}
    for code, source in field_entries(mapping).items():
        if "column" in source and source["column"] in unique:
            fed_by[unique[source["column"]]] = capfirst(spec[code].label)
        elif "letter" in source and (position := letter_position(source["letter"])) is not None:
            fed_by[position] = capfirst(spec[code].label)
    boxes = {}
    if "not_imported" in form.fields:
        boxes = {box.data["value"]: box for box in form["not_imported"]}
    positions = [*range(len(headers)), *(p for p in form.data_columns if p >= len(headers))]
    return [
        {
            "letter": column_letter(i),
            "header": headers[i] if i < len(headers) else "",
            "beyond": i >= len(headers),
            "field": fed_by.get(i)
            or (
                _("the status of the rows (never a field)")
                if i < len(headers) and is_status_column(headers[i])
                else None
            ),
            "sample": samples[i] if i < len(samples) else [],
            "first_row": form.data_columns.get(i),
            "box": boxes.get(column_letter(i)),
            "new": i in new,
        }
        for i in positions
    ]


# --- the template workbook and the relation search -----------------------------------------


@require_GET
@submitter_required
@storage_faults_answered
def template(request: HttpRequest, type_code: str) -> HttpResponse:
    """The type's template workbook: one column per field, required ones marked, drop-down
    lists, an example row and an instructions sheet in the user's language."""
    item_type = _type_for_user(request, type_code)
    if reason := import_refusal(request.user, item_type):
        return _refused(request, reason)
    content = write_template(item_type, user=request.user)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{template_file_name(item_type)}"'
    return response


@require_GET
@submitter_required
def relation_search(request: HttpRequest) -> JsonResponse:
    """Relations by number (from its start) or name (any part), for a fixed relation (R14)."""
    if not ItemType.objects.usable_by(request.user).exists():
        raise Http404
    query = request.GET.get("q", "").strip()
    if len(query) < 2:
        return JsonResponse({"results": []})
    found = Relation.objects.filter(Q(number__startswith=query) | Q(name__icontains=query), is_active=True)
    results = [{"number": r.number, "name": r.name} for r in found.order_by("number")[:RELATION_RESULTS]]
    return JsonResponse({"results": results})


# --- step d: the check ----------------------------------------------------------------------

REFRESH_SECONDS = 2


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
@storage_faults_answered
def check(request: HttpRequest, pk) -> HttpResponse:
    """Step d: the validation's progress while it runs (the page refreshes itself; a script
    polls `progress` instead when it can), then its result: counts, problems grouped and row
    by row, the rejected rows, an earlier import of the same file, and the ways on. POST
    (re)starts the validation."""
    job = _get_job_for_user(request, pk)
    if request.method == "POST":
        if job.state not in (State.MAPPED, State.VALIDATED, State.FAILED) or not job.mapping:
            return redirect(step_url(job))
        try:
            tasks.start_validation(job=job)
        except services.ImportRefused as refusal:
            return _refused(request, refusal.message)
        return redirect("imports:check", pk=job.pk)
    if job.state not in (State.MAPPED, State.VALIDATING, State.VALIDATED):
        return redirect(step_url(job))
    context: dict[str, Any] = {
        "title": _("Check the rows"),
        "job": job,
        "step": 4,
        "discard_url": discard_url(request, job),
        "correct_url": _correct_url(job),
    }
    if job.state == State.VALIDATING:
        return _progress_page(request, job, context)
    if job.state == State.VALIDATED:
        earlier = services.earlier_import(job=job)
        named = earlier is not None and services.may_name_importer(earlier, request.user)
        left_out = [LeftOutColumn.from_dict(column) for column in job.left_out_columns or []]
        waiting = unconfirmed(left_out)
        context.update(
            left_out=[column for column in left_out if column.confirmed],
            left_out_text=column_list(column for column in left_out if column.confirmed),
            unconfirmed=waiting,
            unconfirmed_message=unconfirmed_message(waiting) if waiting else "",
            counts=presenting.counts(job),
            problems=presenting.problem_report(job, request.GET),
            earlier=earlier,
            # Who ran it, and its items by its id: his own import's, or for an administrator.
            earlier_by=earlier.user.get_username() if named else "",
            earlier_items_url=presenting.items_url(earlier) if named else "",
            unknown=presenting.unknown_values(job, services.spec_for(job)),
            landing=services.landing_report(job=job, user=request.user, page=request.GET.get("landing_page")),
            landing_query=_query_without(request, "landing_page"),
            unused=services.unused_file_rows(job=job, user=request.user),
        )
        context.update(_destinations_context(job, request.user))
    return admin_page(request, "imports/check.html", context)


@require_http_methods(["POST"])
@submitter_required
@storage_faults_answered
def choose_values(request: HttpRequest, pk) -> HttpResponse:
    """The check page's "Apply and check again": for each value not recognised, the value
    chosen for it (`value_<index>`; "" leaves its rows invalid) goes into the mapping's value
    map (services.choose_values), and the file is checked again in the worker, without a new
    upload. The mapping, value map included, is remembered once that check ran."""
    job = _get_job_for_user(request, pk)
    if job.state != State.VALIDATED:
        return redirect(step_url(job))
    choices: dict[str, dict[str, str]] = {}
    for row in presenting.unknown_values(job, services.spec_for(job)).rows:
        chosen = request.POST.get(f"value_{row.index}", "")
        if chosen and chosen in {code for code, _label in row.options}:
            choices.setdefault(row.field, {})[row.value] = chosen
    if not choices:
        messages.warning(request, _("Choose a value for at least one of the values not recognised, then apply."))
        return redirect("imports:check", pk=job.pk)
    problems = services.choose_values(job=job, choices=choices)
    if problems:
        for problem in problems:
            messages.error(request, problem.message)
        return redirect("imports:check", pk=job.pk)
    try:
        tasks.start_validation(job=job)
    except services.ImportRefused as refusal:
        return _refused(request, refusal.message)
    count = sum(len(values) for values in choices.values())
    messages.success(
        request,
        ngettext(
            "%(count)s value chosen: the rows are checked again.",
            "%(count)s values chosen: the rows are checked again.",
            count,
        )
        % {"count": count},
    )
    return redirect("imports:check", pk=job.pk)


def _query_without(request: HttpRequest, name: str) -> str:
    """The page's query without `name`, for links that set it again (paging)."""
    query = request.GET.copy()
    query.pop(name, None)
    return query.urlencode()


@require_POST
@submitter_required
@storage_faults_answered
def files(request: HttpRequest, pk) -> HttpResponse:
    """The check page's "Files no row uses": for each listed file (`file_<index>`), "leave"
    (left out: recorded, so that nothing is dropped unasked) or "add" (a row of its own, with
    `relation_<index>` and `subject_<index>`); `others` "leave" leaves out every file not
    listed. Added files make the job be checked again in the worker, as "Apply and check
    again" does for values; left-out files need no new check."""
    job = _get_job_for_user(request, pk)
    if job.state != State.VALIDATED:
        return redirect(step_url(job))
    unused = services.unused_file_rows(job=job, user=request.user)
    choices: dict[str, services.FileChoice] = {}
    for entry in unused.files:
        choice = request.POST.get(f"file_{entry.index}", "")
        if choice not in ("leave", "add"):
            continue
        relation = request.POST.get(f"relation_{entry.index}", "").strip()
        subject = request.POST.get(f"subject_{entry.index}", "").strip()
        choices[entry.name] = services.FileChoice(choice, relation, subject)
    others = "leave" if request.POST.get("others") == "leave" else ""
    if not choices and not others:
        messages.warning(request, _("Choose for at least one file whether to leave it out or add it as a row."))
        return redirect("imports:check", pk=job.pk)
    added, refused = services.choose_files(job=job, user=request.user, choices=choices, others=others)
    for sentence in refused:
        messages.error(request, sentence)
    if not added:
        if not refused:
            messages.success(request, _("Your choices are recorded: the files left out will not be stored."))
        return redirect("imports:check", pk=job.pk)
    try:
        tasks.start_validation(job=job)
    except services.ImportRefused as refusal:
        return _refused(request, refusal.message)
    messages.success(
        request,
        ngettext(
            "%(count)s file added as a row: the rows are checked again.",
            "%(count)s files added as rows: the rows are checked again.",
            added,
        )
        % {"count": added},
    )
    return redirect("imports:check", pk=job.pk)


def _destinations_context(job: ImportJob, user) -> dict[str, Any]:
    """The check page's "Destinations not found" (imports/_destinations.html): each relation
    or contact reference that named nothing, its rows and its candidates, the suggestion
    chosen."""
    return {
        "destinations": services.unknown_destinations(job=job, user=user),
        "destinations_not_shown": services.rows_not_shown(job),
    }


@require_POST
@submitter_required
@storage_faults_answered
def destinations(request: HttpRequest, pk) -> HttpResponse:
    """The choices of "Destinations not found": kept in the job's mapping (remembered with
    it), then the file is checked again without a new upload."""
    job = _get_job_for_user(request, pk)
    if job.state != State.VALIDATED:
        return redirect(step_url(job))
    chosen = services.choose_destinations(job=job, user=request.user, choices=request.POST)
    if not chosen:
        messages.info(request, _("No destination was chosen, so nothing changed."))
        return redirect("imports:check", pk=job.pk)
    try:
        tasks.start_validation(job=job)
    except services.ImportRefused as refusal:
        return _refused(request, refusal.message)
    return redirect("imports:check", pk=job.pk)


def _progress_page(request: HttpRequest, job: ImportJob, context: dict[str, Any]) -> HttpResponse:
    context.update(progress=services.job_progress(job), refresh=REFRESH_SECONDS, progress_url=_progress_url(job))
    response = admin_page(request, "imports/progress.html", context)
    response["Cache-Control"] = "no-store"
    return response


def _progress_url(job: ImportJob) -> str:
    return reverse("imports:progress", args=[job.pk])


def _correct_url(job: ImportJob) -> str:
    """The upload step again for a corrected file: same type and profile; the ZIP and the
    mapping of this job are kept (`corrects`)."""
    query = {"corrects": str(job.pk)}
    if job.creation_profile:
        query["profile"] = job.creation_profile.code
    return reverse("imports:upload", args=[job.item_type.code]) + "?" + urlencode(query)


@require_GET
@submitter_required
@storage_faults_answered
def progress(request: HttpRequest, pk) -> JsonResponse:
    """Where the job stands, for the progress page's script: `Progress.as_dict()` and, when
    the job no longer runs, the page to go to (`next`)."""
    job = _get_job_for_user(request, pk)
    data = services.job_progress(job).as_dict()
    data["next"] = "" if job.is_running else step_url(job)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


# --- step e: the import ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
@storage_faults_answered
def import_rows(request: HttpRequest, pk) -> HttpResponse:
    """Step e. POST starts the commit (`rows`: "all" or "valid"; `again` for a file imported
    before); rights (R2) and the type (R3) are checked again by tasks.start_commit. GET
    shows the import's progress while it runs, with a Cancel button."""
    job = _get_job_for_user(request, pk)
    if request.method == "POST":
        if job.state != State.VALIDATED:
            return redirect(step_url(job))
        if job.undecided_files:  # no file of the ZIP is dropped without the user's decision
            messages.error(request, _("Decide for each file no row uses: leave it out or add it as a row."))
            return redirect("imports:check", pk=job.pk)
        try:
            tasks.start_commit(
                job=job,
                skip_invalid=request.POST.get("rows") == "valid",
                again=request.POST.get("again") == "1",
                duplicates=_duplicates_choice(request),
            )
        except services.ImportedBefore as refusal:
            messages.warning(request, services.imported_before_message(refusal.earlier, viewer=request.user))
            return redirect("imports:check", pk=job.pk)
        except (services.RowsInvalid, services.DuplicatesUndecided) as refusal:
            messages.error(request, refusal.message)
            return redirect("imports:check", pk=job.pk)
        except services.ImportRefused as refusal:
            return _refused(request, refusal.message)
        return redirect("imports:import", pk=job.pk)
    if job.state != State.IMPORTING:
        return redirect(step_url(job))
    return _progress_page(request, job, {"title": _("Import the rows"), "job": job, "step": 5})


def _duplicates_choice(request: HttpRequest) -> str:
    """The check page's choice for probable duplicates ("skip" or "import"); "" when none
    was made (or the value is not one of them): then nothing is imported."""
    choice = request.POST.get("duplicates", "")
    return choice if choice in ImportJob.Duplicates.values else ""


@require_http_methods(["POST"])
@submitter_required
@storage_faults_answered
def cancel(request: HttpRequest, pk) -> HttpResponse:
    """Cancel a running validation or import (services.request_cancel): a validation stops
    between batches, an import is rolled back."""
    job = _get_job_for_user(request, pk)
    try:
        services.request_cancel(job=job, by=request.user)
    except services.ImportRefused as refusal:
        messages.error(request, refusal.message)
    except OSError:  # the cancel mark cannot be written: the job goes on, so say so
        messages.error(
            request,
            _(
                "The cancel could not be recorded: the server cannot write to its storage. Ask an administrator to check the storage."
            ),
        )
    else:
        messages.info(request, _("Cancel asked: the import stops and stores nothing."))
    return redirect(step_url(job))


# --- step f: the result ---------------------------------------------------------------------


@require_GET
@submitter_required
@storage_faults_answered
def result(request: HttpRequest, pk) -> HttpResponse:
    """Step f: counts that add up, items per destination, duration, the created items and the
    rejected rows; or, for a cancelled or failed job, its sentence and how to run it again."""
    job = _get_job_for_user(request, pk)
    if job.state not in (State.DONE, State.UNDONE, State.CANCELLED, State.FAILED):
        return redirect(step_url(job))
    done = job.state in (State.DONE, State.UNDONE)
    context = {
        "title": _("Result of the import"),
        "job": job,
        "step": 6,
        "done": done,
        "result": services.commit_result(job=job) if done else None,
        "duration": presenting.duration_text(job.duration),
        "items_url": presenting.items_url(job),
        "problems": presenting.problem_report(job, request.GET) if job.row_count else None,
        "skipped_rows": presenting.duplicate_rows(job) if done and job.rows_skipped else [],
        "can_check_again": bool(job.mapping) and job.state == State.FAILED and bool(job.file),
        "correct_url": _correct_url(job),
        "history_url": history_url(job),
        "discard_url": discard_url(request, job),
    }
    return admin_page(request, "imports/result.html", context)


# --- discarding an unfinished import -------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
@storage_faults_answered
def discard(request: HttpRequest, pk) -> HttpResponse:
    """The owner gives up his own import before it is imported: GET asks to confirm, POST
    removes its uploaded file, attachments ZIP and checked rows (services.discard_import);
    the history keeps the record, as discarded. Only the owner: 404 for anyone else."""
    job = get_object_or_404(ImportJob.objects.filter(user=request.user).select_related("item_type"), pk=pk)
    if request.method == "POST":
        try:
            services.discard_import(job=job)
        except services.ImportRefused as refusal:
            messages.error(request, refusal.message)
            return redirect(step_url(job))
        messages.success(
            request,
            _("The import of %(file)s was discarded: its files were removed; the history keeps its record.")
            % {"file": job.file_name},
        )
        return redirect(history_url(job))
    if not job.can_be_discarded:
        return redirect(step_url(job))
    context = {
        "title": _("Discard the import of %(file)s") % {"file": job.file_name},
        "job": job,
        "back_url": step_url(job),
    }
    return admin_page(request, "imports/discard.html", context)


def discard_url(request: HttpRequest, job: ImportJob) -> str:
    """The discard page of the user's own job, when it may be discarded ("" otherwise)."""
    if job.user_id != request.user.pk or not job.can_be_discarded:
        return ""
    return reverse("imports:discard", args=[job.pk])
