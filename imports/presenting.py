"""What a page shows of an import job, for people: the counts in sentences, the mapping as
rows of a table, the options in words, and the problems grouped by column and code with the
rows themselves paged. The import history's job page uses all of it; the wizard's check step
includes the grouped problems (`problem_report` with templates/imports/_problems.html).

Nothing here changes a job; the only queries are the ItemSpec of the job's type and, for a
relation given as a fixed value, that relation's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.formats import number_format
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dossier.documents import document_plan
from dossier.models import Relation
from dossier.spec import ItemSpec, Kind
from imports.models import ImportJob
from imports.pipeline.allowed import allowed_values, suggestion
from imports.pipeline.duplicates import DUPLICATE_CODES, ENTERED_BEFORE, IMPORTED_BEFORE, SAME_AS_ROW
from imports.pipeline.mapping import letter_position, same_name, value_map
from imports.pipeline.outcomes import problem_message
from imports.pipeline.reconciliation import is_status_column
from spreadsheets.column_formats import ORDER_LABELS, SEPARATOR_LABELS
from spreadsheets.reading import column_letter

# What a page shows of one cell at most: a sample value of the mapping page, a problem's value
# and message (a cell holds up to 131,072 characters; the job keeps values cut already, but a
# page cuts again, also for jobs kept from before).
SAMPLE_LENGTH = 100
SHOWN_VALUE_LENGTH = 200
SHOWN_MESSAGE_LENGTH = 1000
WIZARD_ADDRESS = "/admin/imports/new/"  # a fixed address (design.md), also before the wizard exists
ROWS_PER_PAGE = 50

# What each problem code means, as a heading over its rows (docs/errors.md has the fixes).
CODE_TITLES = {
    IMPORTED_BEFORE: gettext_lazy("Probably imported before"),
    ENTERED_BEFORE: gettext_lazy("Probably entered before"),
    SAME_AS_ROW: gettext_lazy("The same as an earlier row"),
    "invalid_date": gettext_lazy("Date cannot be read"),
    "invalid_datetime": gettext_lazy("Date and time cannot be read"),
    "date_order_contradicted": gettext_lazy("Date not in the order decided for the column"),
    "invalid_number": gettext_lazy("Number cannot be read"),
    "decimal_contradicted": gettext_lazy("Number not in the decimal separator decided for the column"),
    "invalid_integer": gettext_lazy("Whole number expected"),
    "invalid_boolean": gettext_lazy("Yes/no value cannot be read"),
    "invalid_choice": gettext_lazy("Value not allowed"),
    "ambiguous_choice": gettext_lazy("Label of more than one value"),
    "too_long": gettext_lazy("Text too long"),
    "number_too_large": gettext_lazy("Number too large"),
    "formula_without_value": gettext_lazy("Formula without a computed value"),
    "control_characters_removed": gettext_lazy("Invisible characters removed"),
    "relation_not_found": gettext_lazy("Organisation/person not found"),
    "contact_not_found": gettext_lazy("Contact not found"),
    "user_not_found": gettext_lazy("User not found"),
    "project_not_found": gettext_lazy("Project not found"),
    "course_not_found": gettext_lazy("Course not found"),
    "item_not_found": gettext_lazy("Dossier item not found"),
    "required": gettext_lazy("Required value missing"),
    "field_not_allowed": gettext_lazy("Value not allowed for this type"),
    "one_of_required": gettext_lazy("One of these fields required"),
    "contact_not_of_relation": gettext_lazy("Contact of another organisation"),
    "regarding_without_relation": gettext_lazy("Regarding without a relation"),
    "regarding_role_missing": gettext_lazy("Relation lacks the role"),
    "characteristic_required": gettext_lazy("Characteristic required"),
    "characteristic_combination": gettext_lazy("Combination of characteristics not allowed"),
    "end_before_begin": gettext_lazy("End date before begin date"),
    "invalid_default": gettext_lazy("Profile default names nothing"),
    "attachment_no_archive": gettext_lazy("No attachments ZIP"),
    "attachment_local_path": gettext_lazy("Local drive path"),
    "attachment_path_invalid": gettext_lazy("Attachment path not usable"),
    "attachment_not_found": gettext_lazy("Attachment not in the ZIP"),
    "attachment_ambiguous": gettext_lazy("Attachment name found several times"),
    "attachment_name_collision": gettext_lazy("Attachment in the ZIP more than once"),
    "attachment_name_too_long": gettext_lazy("Attachment name too long"),
    "attachment_name_without_number": gettext_lazy("Attachment name without the relation number"),
    "attachment_used_twice": gettext_lazy("Attachment used twice"),
    "attachment_too_large": gettext_lazy("Attachment too large"),
    "attachment_type_not_allowed": gettext_lazy("Attachment type not accepted"),
    "attachment_empty": gettext_lazy("Attachment empty"),
    "attachment_named_twice": gettext_lazy("Attachment named twice in one cell"),
    "attachment_not_named": gettext_lazy("File in the ZIP that no row names"),
    "submitter_filled_in": gettext_lazy("Submitter filled in"),
    "submit_date_filled_in": gettext_lazy("Submit date filled in"),
    "responsible_filled_in": gettext_lazy("Responsible filled in"),
    "relation_from_contact": gettext_lazy("Organisation/person taken from the contact"),
    "set_by_type": gettext_lazy("Set by the type"),
    "done_from_date": gettext_lazy("Done set by the date done"),
}


def shortened(text: str, length: int = SAMPLE_LENGTH) -> str:
    """A text cut to `length` characters (the last one "…") when it is longer."""
    return text if len(text) <= length else text[: length - 1] + "…"


def wizard_url() -> str:
    """The import wizard's first step (the one place that links to it from here)."""
    try:
        return reverse("imports:new")
    except NoReverseMatch:
        return WIZARD_ADDRESS


@dataclass(frozen=True)
class ProblemTotals:
    errors: int
    warnings: int


def problem_totals(job: ImportJob) -> ProblemTotals:
    """All errors and warnings the validation found (also those beyond the problems it kept)."""
    return ProblemTotals(job.error_count, job.warning_count)


def state_text(job: ImportJob) -> str:
    """The job's state in words; an undone or cancelled job with who did it and when."""
    if job.state == ImportJob.State.UNDONE and job.undone_at:
        return _("undone by %(user)s at %(when)s") % {
            "user": job.undone_by.get_username() if job.undone_by else _("an unknown user"),
            "when": formats.date_format(timezone.localtime(job.undone_at), "DATETIME_FORMAT"),
        }
    if job.state == ImportJob.State.CANCELLED and job.cancelled_at:
        return _("cancelled by %(user)s at %(when)s") % {
            "user": job.cancelled_by.get_username() if job.cancelled_by else _("an unknown user"),
            "when": formats.date_format(timezone.localtime(job.cancelled_at), "DATETIME_FORMAT"),
        }
    return job.get_state_display()


# --- counts, duration, options ---------------------------------------------------------------


def duration_text(duration: dt.timedelta | None) -> str:
    """A duration as people say it: "45 s", "3 min 5 s", "2 h 10 min"; "-" when unknown."""
    if duration is None:
        return "-"
    seconds = max(0, round(duration.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    if minutes:
        return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": seconds}
    return _("%(seconds)s s") % {"seconds": seconds}


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


@dataclass(frozen=True)
class Counts:
    """The job's counts and whether they add up (rows read = valid + invalid)."""

    rows: int
    valid: int
    invalid: int
    items: int
    checked: bool  # the rows were read and checked
    committed: bool  # the import was done (items were created, or none were to be made)
    skip_invalid: bool
    recognised: int = 0  # rows an earlier import created (a reconciliation workbook again)
    duplicates: int = 0  # valid rows that are probably duplicates
    skipped: int = 0  # of those, rows the commit left out (the user chose to skip them)

    @property
    def add_up(self) -> bool:
        return self.rows == self.valid + self.invalid + self.recognised

    def sentences(self) -> list[str]:
        if not self.checked:
            return [_("The rows have not been checked yet.")]
        numbers = {"rows": _number(self.rows), "valid": _number(self.valid), "invalid": _number(self.invalid)}
        if self.recognised:
            numbers["recognised"] = _number(self.recognised)
            lines = [
                _(
                    "Rows read: %(rows)s = %(valid)s valid + %(invalid)s invalid + %(recognised)s created before (by an earlier import; left alone)."
                )
                % numbers
            ]
        else:
            lines = [_("Rows read: %(rows)s = %(valid)s valid + %(invalid)s invalid.") % numbers]
        if self.duplicates:
            lines.append(
                ngettext(
                    "Of the valid rows, %(duplicates)s is probably a duplicate (imported before, or the same as an earlier row).",
                    "Of the valid rows, %(duplicates)s are probably duplicates (imported before, or the same as an earlier row).",
                    self.duplicates,
                )
                % {"duplicates": _number(self.duplicates)}
            )
        if self.committed and self.skipped:
            left_out = self.invalid if self.skip_invalid else 0
            lines.append(
                _(
                    "Rows imported: %(imported)s; left out as invalid: %(left_out)s; skipped as probable duplicates: %(skipped)s; items created: %(items)s."
                )
                % {
                    "imported": _number(self.rows - left_out - self.recognised - self.skipped),
                    "left_out": _number(left_out),
                    "skipped": _number(self.skipped),
                    "items": _number(self.items),
                }
            )
        elif self.committed:
            left_out = self.invalid if self.skip_invalid else 0
            lines.append(
                _("Rows imported: %(imported)s; left out as invalid: %(left_out)s; items created: %(items)s.")
                % {
                    "imported": _number(self.rows - left_out - self.recognised),
                    "left_out": _number(left_out),
                    "items": _number(self.items),
                }
            )
        if not self.add_up:
            lines.append(_("These counts do not add up: the import stopped before every row was counted."))
        return lines


CHECKED_STATES = {
    ImportJob.State.VALIDATED,
    ImportJob.State.IMPORTING,
    ImportJob.State.DONE,
    ImportJob.State.UNDOING,
    ImportJob.State.UNDONE,
}


def counts(job: ImportJob) -> Counts:
    checked = job.state in CHECKED_STATES or bool(job.row_count)
    return Counts(
        rows=job.row_count,
        valid=job.valid_row_count,
        invalid=job.invalid_row_count,
        items=job.items_created,
        checked=checked,
        committed=job.state in (ImportJob.State.DONE, ImportJob.State.UNDOING, ImportJob.State.UNDONE),
        skip_invalid=bool(job.skip_invalid),
        recognised=job.recognised_row_count,
        duplicates=job.duplicate_row_count,
        skipped=job.rows_skipped,
    )


def document_lines(job: ImportJob) -> list[str]:
    """What the check page says of the document the creation profile makes for each item
    (dossier.documents): its name and template, and that rows bringing a file of their own
    keep that file as the main one, the document beside it a draft. Said once for all rows
    from the job's own fields: nothing is rendered and no row is read (100,000 rows cost
    nothing more)."""
    profile = job.creation_profile
    if profile is None or not profile.document_template_id:
        return []
    template = profile.document_template
    lines = [_("Each item gets the document %(document)s.") % {"document": document_plan(template)}]
    if job.staged_attachments:
        lines.append(
            ngettext(
                "The rows bring %(count)s file of their own: an item whose row brings a file (a signed "
                "document) keeps it as its main file, and gets the generated document beside it as a draft.",
                "The rows bring %(count)s files of their own: an item whose row brings a file (a signed "
                "document) keeps it as its main file, and gets the generated document beside it as a draft.",
                job.staged_attachments,
            )
            % {"count": _number(job.staged_attachments)}
        )
    return lines


def duplicate_rows(job: ImportJob) -> list[int]:
    """The rows that are probably duplicates, in order, as far as the job keeps its problems
    (the first 5,000): the rows a commit that skips them leaves out."""
    rows = {p.get("row") for p in job.problems if isinstance(p, dict) and p.get("code") in DUPLICATE_CODES}
    return sorted(row for row in rows if row is not None)


def source_text(job: ImportJob) -> str:
    """Where the import was started, to follow "through": the command line or the wizard."""
    if job.source == ImportJob.Source.COMMAND_LINE:
        return _("the command line")
    return _("the import wizard")


def options_in_words(job: ImportJob) -> list[str]:
    """What the user chose besides the mapping, each as one sentence."""
    from imports.services import shown_sheet

    words = []
    sheet = shown_sheet(job)
    sheet_names = job.sheet_names or []
    if sheet:
        if len(sheet_names) > 1:
            words.append(
                _("Sheet '%(sheet)s' was read (the workbook has %(count)s sheets).")
                % {"sheet": sheet, "count": len(sheet_names)}
            )
        else:
            words.append(_("Sheet '%(sheet)s' was read.") % {"sheet": sheet})
    if job.header_row:
        words.append(_("The column names are on row %(row)s.") % {"row": job.header_row})
    if job.creation_profile_id:
        words.append(_("Items are made with creation profile %(profile)s.") % {"profile": job.creation_profile.name})
    if job.attachments_zip:
        name = job.attachments_name or _("attachments.zip")
        words.append(_("Attachments come from the ZIP '%(name)s'.") % {"name": name})
    else:
        words.append(_("No attachments ZIP was uploaded."))
    if job.state in (ImportJob.State.IMPORTING, ImportJob.State.DONE, ImportJob.State.UNDOING, ImportJob.State.UNDONE):
        if job.skip_invalid:
            words.append(_("Only the valid rows are imported; the invalid rows are left out."))
        else:
            words.append(_("All rows or none: no row is left out."))
        if job.duplicate_row_count and job.duplicates == ImportJob.Duplicates.SKIP:
            words.append(_("Rows that are probably duplicates are skipped (the user's choice)."))
        elif job.duplicate_row_count and job.duplicates == ImportJob.Duplicates.IMPORT:
            words.append(_("Rows that are probably duplicates are imported anyway (the user's choice)."))
    return words


# --- the mapping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingRow:
    """One field of the type and where its values come from."""

    code: str
    label: str
    required: bool
    column: str = ""  # the header, when a column feeds the field
    letter: str = ""  # that column's letter
    fixed: str = ""  # the fixed value, as shown
    missing: bool = False  # the mapping names a column the file does not have
    values: str = ""  # its value map in words: "middel: MIDDEN; urgent: high"
    decision: str = ""  # how the column writes dates or numbers, as decided ("day first (31-12-2025)")

    @property
    def is_fixed(self) -> bool:
        return not self.column and not self.letter


def _header_position(headers: list[str], name: str) -> int | None:
    wanted = same_name(name)
    found = [position for position, header in enumerate(headers) if same_name(str(header)) == wanted]
    return found[0] if len(found) == 1 else None


def _fixed_text(spec_field, value: Any) -> str:
    """A fixed value as the job's page shows it: a long text cut short."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    text = shortened(str(value), SHOWN_VALUE_LENGTH)
    if spec_field is None:
        return text
    if spec_field.choices and text in spec_field.choices:
        return f"{text} ({spec_field.choices[text]})"
    if spec_field.kind == Kind.RELATION:
        relation = Relation.objects.filter(number=text).only("number", "name").first()
        return str(relation) if relation else text
    return text


def _decision_text(source: dict) -> str:
    """The date order or decimal separator a mapping entry decided, in the reader's language."""
    label = ORDER_LABELS.get(source.get("date_order") or "") or SEPARATOR_LABELS.get(source.get("decimal") or "")
    return str(label) if label else ""


def mapping_rows(job: ImportJob, spec: ItemSpec | None = None) -> list[MappingRow]:
    """The fields the mapping feeds, in the order of the type's fields (a field the type no
    longer has comes last, by its code)."""
    from imports.services import spec_for

    spec = spec or spec_for(job)
    headers = [str(header) for header in job.headers]
    order = {f.code: position for position, f in enumerate(spec.fields)}
    rows = []
    for code, source in sorted(job.mapping.items(), key=lambda entry: (order.get(entry[0], len(order)), entry[0])):
        source = source if isinstance(source, dict) else {"column": source}
        spec_field = spec.get(code)
        label = str(spec_field.label) if spec_field else code
        required = bool(spec_field and spec_field.is_required)
        values = "; ".join(f"{raw}: {target}" for raw, target in sorted(value_map(source).items()))
        if source.get("letter"):
            position = letter_position(source["letter"])
            known = position is not None and position < len(headers)
            rows.append(
                MappingRow(
                    code,
                    label,
                    required,
                    column=headers[position] if known else "",
                    letter=column_letter(position) if known else str(source["letter"]).upper(),
                    missing=not known,
                    values=values,
                    decision=_decision_text(source),
                )
            )
        elif source.get("column"):
            position = _header_position(headers, str(source["column"]))
            rows.append(
                MappingRow(
                    code,
                    label,
                    required,
                    column=str(source["column"]),
                    letter=column_letter(position) if position is not None else "",
                    missing=position is None,
                    values=values,
                    decision=_decision_text(source),
                )
            )
        elif source.get("fixed") not in (None, ""):
            rows.append(MappingRow(code, label, required, fixed=_fixed_text(spec_field, source["fixed"])))
    return rows


def columns_not_imported(job: ImportJob, rows: list[MappingRow]) -> list[str]:
    """The file's columns no field takes, as "Name (C)", one without a name as "(C)"; and
    the cells right of the last column name that the check found, as "(F)"."""
    taken = {row.letter for row in rows if row.letter}
    named = [
        f"{header} ({column_letter(position)})" if str(header).strip() else f"({column_letter(position)})"
        for position, header in enumerate(job.headers)
        if column_letter(position) not in taken and not is_status_column(header)
    ]
    beyond = [
        f"({column['letter']})"
        for column in job.left_out_columns or []
        if isinstance(column, dict) and column.get("beyond")
    ]
    return named + beyond


# --- problems --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemRow:
    row: int | None
    column: str
    value: str
    message: str
    code: str


@dataclass(frozen=True)
class ProblemGroup:
    """The problems of one code in one column: how many rows have it, and the first message
    (which says how to fix it)."""

    column: str
    code: str
    title: str
    rows: int
    example: str
    query: str  # the page's query string that shows only these rows


class PageLink(NamedTuple):
    label: str  # a page number, or the ellipsis between numbers
    query: str  # the query string of that page; empty for the ellipsis
    current: bool


@dataclass
class ProblemList:
    """Errors, or warnings: grouped, and the rows themselves, one page of them."""

    kind: str  # "error" or "warning"
    total: int
    groups: list[ProblemGroup]
    page: Page
    page_links: list[PageLink] = field(default_factory=list)  # none when one page holds all

    @property
    def anchor(self) -> str:
        return f"history-{self.kind}-rows"


@dataclass
class ProblemReport:
    totals: ProblemTotals
    kept: int  # the problems the job keeps (the first 5,000)
    errors: ProblemList
    warnings: ProblemList
    chosen: tuple[str, str] | None  # (column, code) the rows are narrowed to
    clear_query: str
    downloads: list[tuple[str, str]]  # (label, url) of the rejected-rows files

    @property
    def all_kept(self) -> bool:
        return self.kept >= self.totals.errors + self.totals.warnings

    @property
    def chosen_title(self) -> str:
        if not self.chosen:
            return ""
        column, code = self.chosen
        return f"{column}: {CODE_TITLES.get(code, code)}"


def _column_of(problem: dict, fixed: frozenset[str] = frozenset()) -> str:
    """The column a problem is in; for a field without one, a fixed value (`fixed`: the
    fields the mapping gives one) or a value the import filled in for a field no column feeds."""
    if problem.get("column"):
        return str(problem["column"])
    if problem.get("row") is None and str(problem.get("code") or "").startswith("attachment_"):  # a file in the ZIP
        return _("(the attachments ZIP)")
    if not problem.get("field"):
        return _("(the row)")
    return _("(a fixed value)") if problem["field"] in fixed else _("(not in the file)")


def _query(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    return query.urlencode()


def _problem_list(
    kind: str,
    problems: list[dict],
    total: int,
    params: QueryDict,
    chosen: tuple[str, str] | None,
    fixed: frozenset[str] = frozenset(),
) -> ProblemList:
    page_name = f"{kind}_page"
    rows_by_group: dict[tuple[str, str], set] = {}
    example: dict[tuple[str, str], str] = {}
    for index, problem in enumerate(problems):
        key = (_column_of(problem, fixed), str(problem.get("code") or ""))
        row = problem.get("row")
        rows_by_group.setdefault(key, set()).add(row if row is not None else ("file", index))  # each counts
        example.setdefault(key, shortened(problem_message(problem), SHOWN_MESSAGE_LENGTH))
    size = {key: len(rows) for key, rows in rows_by_group.items()}
    groups = [
        ProblemGroup(
            column=column,
            code=code,
            title=str(CODE_TITLES.get(code, code or _("Problem"))),
            rows=count,
            example=example[(column, code)],
            query=_query(params, problem_column=column, problem_code=code, error_page=None, warning_page=None),
        )
        for (column, code), count in sorted(size.items(), key=lambda entry: (-entry[1], entry[0]))
    ]
    shown = [
        ProblemRow(
            row=problem.get("row"),
            column=_column_of(problem, fixed),
            value=shortened(str(problem.get("value") or ""), SHOWN_VALUE_LENGTH),
            message=shortened(problem_message(problem), SHOWN_MESSAGE_LENGTH),
            code=str(problem.get("code") or ""),
        )
        for problem in problems
        if chosen is None or (_column_of(problem, fixed), str(problem.get("code") or "")) == chosen
    ]
    shown.sort(key=lambda row: (row.row is None, row.row or 0))
    page = Paginator(shown, ROWS_PER_PAGE).get_page(params.get(page_name))
    links = [
        PageLink(
            str(number), _query(params, **{page_name: number}) if isinstance(number, int) else "", number == page.number
        )
        for number in page.paginator.get_elided_page_range(page.number)
    ]
    return ProblemList(
        kind=kind, total=max(total, len(problems)), groups=groups, page=page, page_links=links if len(links) > 1 else []
    )


def problem_report(job: ImportJob, params: QueryDict | None = None, *, downloads: bool = True) -> ProblemReport:
    """The job's problems for templates/imports/_problems.html: errors and warnings apart,
    each grouped by column and code (most rows first) and paged (`error_page`,
    `warning_page`); `problem_column` and `problem_code` narrow the rows to one group."""
    params = params if params is not None else QueryDict()
    problems = [problem for problem in job.problems if isinstance(problem, dict)]
    chosen = None
    if "problem_code" in params and "problem_column" in params:
        chosen = (params["problem_column"], params["problem_code"])
    totals = problem_totals(job)
    mapping = job.mapping if isinstance(job.mapping, dict) else {}
    fixed = frozenset(code for code, source in mapping.items() if isinstance(source, dict) and "fixed" in source)
    errors = [problem for problem in problems if not problem.get("is_warning")]
    warnings = [problem for problem in problems if problem.get("is_warning")]
    from imports.services import has_row_record

    links = []
    if downloads and job.state in WORKBOOK_STATES and job.row_count and has_row_record(job):
        links = [
            (_("Your file with the status of every row (.xlsx)"), download_url(job, "workbook-xlsx")),
            (_("Your file with the status of every row (.csv)"), download_url(job, "workbook-csv")),
        ]
    return ProblemReport(
        totals=totals,
        kept=len(problems),
        errors=_problem_list("error", errors, totals.errors, params, chosen, fixed),
        warnings=_problem_list("warning", warnings, totals.warnings, params, chosen, fixed),
        chosen=chosen,
        clear_query=_query(params, problem_column=None, problem_code=None, error_page=None, warning_page=None),
        downloads=links,
    )


# --- downloads and the job page --------------------------------------------------------------

DOWNLOADS = ("file", "attachments", "workbook-xlsx", "workbook-csv")
# The reconciliation workbook is offered once the rows were checked, and after the import.
WORKBOOK_STATES = (
    ImportJob.State.VALIDATED,
    ImportJob.State.DONE,
    ImportJob.State.FAILED,
    ImportJob.State.CANCELLED,
)


def download_url(job: ImportJob, what: str) -> str:
    return reverse("admin:imports_importjob_download", args=[job.pk, what])


def items_url(job: ImportJob) -> str:
    """The items list, filtered on the items this import created."""
    return f"{reverse('admin:dossier_dossieritem_changelist')}?import_job__id__exact={job.pk}"


def files_url(job: ImportJob) -> str:
    """All files of the items this import made, as far as the user may see them, as one ZIP
    (ImportJobAdmin.files_view); none once it was undone or when it made no item."""
    if not job.items_created or job.state != ImportJob.State.DONE:
        return ""
    return reverse("admin:imports_importjob_files", args=[job.pk])


def job_page(job: ImportJob, params: QueryDict | None = None) -> dict[str, Any]:
    """Everything the import history's job page shows, for its template."""
    from imports.services import spec_for

    spec = spec_for(job)
    rows = mapping_rows(job, spec)
    return {
        "job": job,
        "counts": counts(job),
        "duration": duration_text(job.duration),
        "source": source_text(job),
        "options": options_in_words(job),
        "mapping_rows": rows,
        "not_imported": get_text_list(columns_not_imported(job, rows), _("and")) if job.mapping else "",
        "problems": problem_report(job, params),
        "running": job.state in (ImportJob.State.VALIDATING, ImportJob.State.IMPORTING),
        "items_url": items_url(job) if job.items_created and job.state != ImportJob.State.UNDONE else "",
        "state_text": state_text(job),
        "files_url": files_url(job),
        "file_url": download_url(job, "file") if job.file else "",
        "attachments_url": download_url(job, "attachments") if job.attachments_zip else "",
        # An undo removes the uploaded files (personal documents); the record stays.
        "files_removed": job.state == ImportJob.State.UNDONE,
    }


# --- values not recognised (the check page's value map) -------------------------------------


@dataclass
class UnknownValueRow:
    """One distinct value of a column that is none of its field's values, with the values
    the field takes to choose from and the one suggested (None: "leave these rows invalid")."""

    index: int  # its place in the job's unknown_values, which the form sends back
    field: str
    field_label: str
    column: str
    value: str
    rows: int
    first_rows: list[int]
    options: list[tuple[str, str]]
    suggested: str | None


@dataclass
class UnknownValueReport:
    rows: list[UnknownValueRow]
    more: list[tuple[str, int]]  # (field label, rows of further values not listed)


def unknown_values(job: ImportJob, spec: ItemSpec | None = None) -> UnknownValueReport:
    """The job's values not recognised that a value map can fix: of a field the mapping feeds
    from a column and that has a list of values (imports.pipeline.allowed); most rows first."""
    data = job.unknown_values or {}
    if not data.get("values"):
        return UnknownValueReport([], [])
    spec = spec or ItemSpec(job.item_type, job.creation_profile, purpose="import")
    allowed: dict[str, list] = {}
    rows = []
    for index, entry in enumerate(data.get("values", [])):
        code = entry.get("field")
        source = job.mapping.get(code) if isinstance(job.mapping, dict) else None
        if code not in spec or not isinstance(source, dict) or not (source.get("column") or source.get("letter")):
            continue
        if code not in allowed:
            allowed[code] = allowed_values(spec, code)
        if not allowed[code]:
            continue
        rows.append(
            UnknownValueRow(
                index=index,
                field=code,
                field_label=capfirst(spec[code].label),
                column=entry.get("column") or "",
                value=entry.get("value", ""),
                rows=entry.get("rows", 0),
                first_rows=entry.get("first_rows", []),
                options=[(value.code, value.shown) for value in allowed[code]],
                suggested=suggestion(entry.get("value", ""), allowed[code]),
            )
        )
    more = [
        (capfirst(spec[code].label), count)
        for code, count in (data.get("more_rows") or {}).items()
        if code in spec and count
    ]
    return UnknownValueReport(rows, more)


def remembered_values(mapping: dict[str, Any], spec: ItemSpec) -> list[dict[str, Any]]:
    """The value choices a mapping holds, field by field: [{"field", "label", "raw", "target",
    "options"}], for the mapping page (each changeable and removable)."""
    found = []
    for code, source in mapping.items():
        values = value_map(source) if isinstance(source, dict) else {}
        if not values or code not in spec:
            continue
        options = [(value.code, value.shown) for value in allowed_values(spec, code)]
        for raw, target in sorted(values.items()):
            found.append(
                {"field": code, "label": capfirst(spec[code].label), "raw": raw, "target": target, "options": options}
            )
    return found
