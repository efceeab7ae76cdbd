"""manage.py import_items: the dossier item import from the command line, through the same
services as the wizard. Exit codes: 0 everything asked was done (or a dry run found no
errors), 1 rows were invalid and nothing was stored, 2 the import was refused or the file
could not be read (one sentence on stderr, never a traceback): also a damaged attachments
ZIP, a full or unwritable storage, a rejected-rows file that cannot be written, a file
imported before for the same type (unless --again), columns holding data that no field
takes (unless the mapping's "not_imported" or --ignore-column names them), and rows that are
probably duplicates (unless --duplicates skip or import; the sentence names the rows).

The mapping a run used is remembered for its --user (offered to him alone next time) only
when the run was neither refused nor failed: exit code 0, rows stored or a clean dry run."""

import argparse
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, DjangoHelpFormatter
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dossier.models import CreationProfile, ItemType
from dossier.spec import ItemSpec, Kind, Purpose
from imports import services
from imports.management.plain import PlainErrorsCommand
from imports.models import ImportJob
from imports.pipeline.allowed import allowed_values, suggestion
from imports.pipeline.mapping import (
    NOT_IMPORTED,
    VALUES,
    column_title,
    duplicate_column_warnings,
    field_sources,
    ignored_entries,
    ignored_entry,
    letter_position,
    new_columns,
    same_name,
    value_map,
    value_map_problems,
    value_map_shape_message,
)
from imports.pipeline.outcomes import Problem
from imports.pipeline.reconciliation import is_status_column
from spreadsheets.messages import N_, Message, grouped, joined
from spreadsheets.reading import column_letter

SHOWN_PROBLEMS = 50
MAX_HEADER_ROW = 1_048_576  # the last row a spreadsheet has
REJECTED_SUFFIXES = (".xlsx", ".csv")


def header_row(text: str) -> int:
    """--header-row: a row number a sheet can have, else one sentence (argparse exits with 2)."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_HEADER_ROW:
        raise argparse.ArgumentTypeError(
            _("The header row must be a number from 1 to %(max)s, not '%(value)s'.")
            % {"max": grouped(MAX_HEADER_ROW), "value": text}
        )
    return number


def not_a_file(path: Path) -> str:
    """Why `path` cannot be imported as a file: it is missing, a folder, or no regular file."""
    if path.is_dir():
        return _("%(path)s is a folder, not a file.") % {"path": path}
    if path.exists():
        return _("%(path)s is not a regular file (a device or a pipe).") % {"path": path}
    return _("The file %(path)s does not exist.") % {"path": path}


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's help layout, with the examples below it kept as written."""


class Command(PlainErrorsCommand):
    help = gettext_lazy("Import new dossier items of one type from a spreadsheet (.xlsx, .xls, .ods or .csv).")

    def create_parser(self, prog_name, subcommand, **kwargs):
        """The help in the language of the run (LANGUAGE_CODE), with two examples."""
        examples = _(
            "Examples:\n"
            "  Check a file without storing anything, with the columns matched by their names:\n"
            "    manage.py import_items letters.xlsx --type CORR --user importeur --dry-run\n"
            "  Import it with a mapping and the values chosen before, skipping probable duplicates:\n"
            "    manage.py import_items letters.xlsx --type CORR --user importeur \\\n"
            "        --mapping mapping.json --values values.json --duplicates skip"
        )
        return super().create_parser(prog_name, subcommand, formatter_class=HelpFormatter, epilog=examples, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the spreadsheet"))
        parser.add_argument("--type", required=True, dest="type_code", help=_("item type code, e.g. SOLL"))
        parser.add_argument("--user", required=True, help=_("the importing user (needs InSite or Profit rights)"))
        parser.add_argument("--profile", help=_("creation profile code of the type"))
        parser.add_argument("--attachments", help=_("ZIP with the files the attachment column names"))
        parser.add_argument(
            "--mapping",
            help=_(
                'JSON file: {"field": "Column"}, {"field": {"letter": "C"}} or {"field": {"fixed": "value"}}; '
                'a relation or contact not found is chosen with {"relation": {"column": "Klant", "values": {"D20004": "20004"}}}'
            ),
        )
        parser.add_argument(
            "--values",
            metavar="FILE.json",
            help=_(
                'JSON file: per field, the values of the file and the value to use, {"characteristic_1": {"middel": "MIDDEN"}}; '
                "added to the mapping's value map (the run prints the values not recognised and the map to save)"
            ),
        )
        parser.add_argument(
            "--shared-mapping",
            metavar="NAME",
            help=_("use the mapping shared under this name for the type and these columns (instead of --mapping)"),
        )
        parser.add_argument("--sheet", help=_("sheet name (default: the first visible one with data)"))
        parser.add_argument(
            "--header-row",
            type=header_row,
            help=_(
                "row that holds the column names (default: the first non-empty one, or the first under a title or note, as wide as the rows under it)"
            ),
        )
        parser.add_argument(
            "--ignore-column",
            action="append",
            default=[],
            metavar="NAME",
            help=_("leave out a column that holds data no field takes: its name, or its letter (repeatable)"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("validate only; store nothing"))
        parser.add_argument(
            "--skip-invalid", action="store_true", help=_("import the valid rows and leave out the invalid ones")
        )
        parser.add_argument(
            "--rejected-out", help=_("write the invalid rows with their problems to this .xlsx or .csv")
        )
        parser.add_argument(
            "--again",
            action="store_true",
            help=_("import a file that was imported before for the same type (same checksum) once more"),
        )
        parser.add_argument(
            "--duplicates",
            choices=["skip", "import"],
            default="",
            help=_(
                "rows that are probably imported before, or the same as an earlier row of the file: skip them or "
                "import them anyway (without it, such rows refuse the import with exit code 2)"
            ),
        )
        parser.add_argument("--json", action="store_true", help=_("print one JSON summary on stdout"))

    def handle(self, *args, **options):
        self.as_json = options["json"]
        self.started = time.monotonic()
        user, item_type, profile = self._lookups(options)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(not_a_file(path), returncode=2)
        rejected_out = options["rejected_out"]
        if rejected_out and Path(rejected_out).suffix.lower() not in REJECTED_SUFFIXES:
            raise CommandError(
                _("The rejected rows can be written to an .xlsx or a .csv file only, not to %(name)s.")
                % {"name": rejected_out},
                returncode=2,
            )
        if options.get("mapping") and options.get("shared_mapping"):
            raise CommandError(_("Give --mapping or --shared-mapping, not both."), returncode=2)
        values = self._read_values(options.get("values"), item_type, profile)  # refused before a job is made
        job = self._start(path, user, item_type, profile, options)
        if options.get("header_row") is None:
            self._say_title_rows(job)
        self._map(job, options.get("mapping"), options.get("shared_mapping"), options["ignore_column"], values)
        self.earlier = services.earlier_import(job=job)
        if self.earlier and not options["again"] and not options["dry_run"]:
            message = services.imported_before_message(self.earlier, viewer=job.user)
            services.cancel_import(job=job, reason=message)
            hint = _("Give --again to import it once more.")
            raise CommandError(f"{message} {hint}", returncode=2)
        try:
            self._validate_and_commit(job, options)
        except services.ImportRefused as refusal:
            self._end_progress()
            raise CommandError(refusal.message, returncode=2) from None
        services.remember_mapping(job=job)  # exit code 0: the mapping worked

    def _validate_and_commit(self, job, options):
        summary = services.validate_import(job=job, progress=self._progress("validated")).summary
        self._end_progress()
        if refusal := services.columns_left_out(job):  # nothing is left out unasked, also not in a dry run
            services.cancel_import(job=job, reason=refusal.message)
            raise refusal
        if options["rejected_out"] and summary.invalid_rows:
            try:
                services.write_rejected_rows_file(job=job, target=Path(options["rejected_out"]))
            except services.ImportRefused as refusal:  # stop before anything is stored
                services.cancel_import(job=job, reason=refusal.message)
                raise
        if options["dry_run"]:
            services.discard_staging(job=job)
            self._report(job, summary.problems)
            if summary.error_count:
                sys.exit(1)
            return
        if summary.error_count and not options["skip_invalid"]:
            self._report(
                job,
                summary.problems,
                note=_("Rows are invalid, so nothing was stored. Fix them, or use --skip-invalid."),
            )
            sys.exit(1)
        if job.duplicate_row_count and not services.duplicates_choice(options["duplicates"], again=options["again"]):
            refusal = services.duplicates_undecided(job)
            hint = _("Give --duplicates skip or --duplicates import.")
            message = f"{refusal.message} {hint}"
            self._report(job, summary.problems, note=message)
            services.cancel_import(job=job, reason=refusal.message)
            raise CommandError(message, returncode=2)
        try:
            self.result = services.commit_import(
                job=job,
                skip_invalid=options["skip_invalid"],
                progress=self._progress("imported"),
                again=options["again"],
                duplicates=options["duplicates"],
            )
        except services.RowsInvalid as refusal:
            job.refresh_from_db()
            self._report(job, [Problem.from_dict(p) for p in job.problems], note=refusal.message)
            sys.exit(1)
        self._end_progress()
        job.refresh_from_db()
        self._report(job, [Problem.from_dict(p) for p in job.problems])

    def _lookups(self, options):
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist:
            raise CommandError(_("There is no user %(user)s.") % {"user": options["user"]}, returncode=2) from None
        try:
            item_type = ItemType.objects.get(code=options["type_code"])
        except ItemType.DoesNotExist:
            codes = ", ".join(ItemType.objects.values_list("code", flat=True))
            raise CommandError(
                _("There is no item type %(type)s. Types: %(types)s.") % {"type": options["type_code"], "types": codes},
                returncode=2,
            ) from None
        profile = None
        if options.get("profile"):
            profile = CreationProfile.objects.filter(item_type=item_type, code=options["profile"]).first()
            if profile is None:
                raise CommandError(
                    _("Type %(type)s has no creation profile %(profile)s.")
                    % {"type": item_type.code, "profile": options["profile"]},
                    returncode=2,
                )
        return user, item_type, profile

    def _start(self, path, user, item_type, profile, options):
        attachments = Path(options["attachments"]) if options.get("attachments") else None
        if attachments and not attachments.is_file():
            message = (
                not_a_file(attachments)
                if attachments.exists()
                else _("The attachments file %(path)s does not exist.") % {"path": attachments}
            )
            raise CommandError(message, returncode=2)
        with ExitStack() as files:
            try:
                handle = files.enter_context(path.open("rb"))
                zip_handle = files.enter_context(attachments.open("rb")) if attachments else None
            except OSError as error:
                raise CommandError(
                    _("The file %(path)s cannot be read: %(reason)s.")
                    % {"path": error.filename, "reason": error.strerror},
                    returncode=2,
                ) from None
            try:
                return services.start_import(
                    user=user,
                    item_type=item_type,
                    profile=profile,
                    file=handle,
                    file_name=path.name,
                    attachments=zip_handle,
                    attachments_name=attachments.name if attachments else None,
                    sheet=options.get("sheet"),
                    header_row=options.get("header_row"),
                    source=ImportJob.Source.COMMAND_LINE,
                )
            except services.ImportRefused as refusal:
                raise CommandError(refusal.message, returncode=2) from None

    def _read_values(self, values_file, item_type, profile) -> dict[str, dict[str, str]]:
        """--values: per field code, the file's values and the value each stands for. Refused
        (exit code 2, one sentence) when it cannot be read, is not of that shape, names a
        field the type has not, or gives a value the field does not take."""
        if not values_file:
            return {}
        try:
            raw = json.loads(Path(values_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(
                _("The values file cannot be read: %(reason)s.") % {"reason": error}, returncode=2
            ) from None
        spec = ItemSpec(item_type, profile, purpose=Purpose.IMPORT)
        return values_of(raw, spec)

    def _map(self, job, mapping_file, shared_name=None, ignore_columns=(), values=None):
        for warning in duplicate_column_warnings(job.headers):
            self.stderr.write(_("Warning: %(warning)s") % {"warning": warning})
        if mapping_file:
            try:
                raw = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                message = N_("The mapping file cannot be read: %(reason)s.") % {"reason": str(error)}
                services.cancel_import(job=job, reason=message)
                raise CommandError(str(message), returncode=2) from None
            # "field": "Column" is short for {"column": "Column"}; any other shape is left to
            # check_mapping, which says what is wrong with it.
            mapping = (
                {code: {"column": source} if isinstance(source, str) else source for code, source in raw.items()}
                if isinstance(raw, dict)
                else raw
            )
        elif shared_name:
            mapping = services.suggest_mapping_for(job, chosen=self._shared(job, shared_name))
        else:
            self._say_remembered(job)
            mapping = services.suggest_mapping_for(job)

        def show_mapping() -> None:
            if not mapping_file and not shared_name:  # the suggested one, last, so it can be cut out and saved
                self.stderr.write(_("Mapping used (save it as JSON and pass --mapping to change it):"))
                self.stderr.write(json.dumps(job.mapping or mapping, ensure_ascii=False, indent=2))

        if values and isinstance(mapping, dict):
            mapping = self._with_values(job, mapping, values)
        if ignore_columns and isinstance(mapping, dict):
            mapping = {**mapping, NOT_IMPORTED: [*ignored_entries(mapping), *self._ignored(job, ignore_columns)]}
        problems = services.set_mapping(job=job, mapping=mapping)
        if problems:
            show_mapping()
            sentences = [p.message.capitalise() for p in problems]
            lines = "\n".join(f"  - {sentence}" for sentence in sentences)
            services.cancel_import(job=job, reason=joined(sentences))  # shown in the reader's language
            raise CommandError(_("The mapping cannot be used:") + f"\n{lines}", returncode=2)
        self.not_imported = not_imported_columns(job)
        for column in self.not_imported:
            message = (
                _(
                    "Column '%(column)s' (%(letter)s) is not imported: no field takes it. Map it with --mapping if it should be."
                )
                % column
            )
            self.stderr.write(_("Warning: %(warning)s") % {"warning": message})
        self._decide_formats(job, show_mapping)
        show_mapping()

    def _with_values(self, job, mapping, values):
        """The mapping with --values added to its fields' value maps; a field that no column
        feeds refuses the run."""
        mapping = {code: dict(source) if isinstance(source, dict) else source for code, source in mapping.items()}
        for code, chosen in values.items():
            source = mapping.get(code)
            if not isinstance(source, dict) or not (source.get("column") or source.get("letter")):
                message = _(
                    "--values names field '%(field)s', but no column of the file is mapped to it: map one, or remove the field from the values file."
                ) % {"field": code}
                services.cancel_import(job=job, reason=message)
                raise CommandError(message, returncode=2)
            source[VALUES] = {**value_map(source), **chosen}
        return mapping

    def _decide_formats(self, job, show_mapping) -> None:
        """How each date and number column is written: as the mapping says, else as its first
        rows say (kept in the mapping, so a run that succeeds remembers it); a column they do
        not decide refuses the run (exit code 2) with the key to add. Each decision is said."""
        try:
            formats = services.decide_formats(job=job)
        except services.ImportRefused as refusal:
            show_mapping()
            services.cancel_import(job=job, reason=refusal.message)
            raise CommandError(refusal.message, returncode=2) from None
        self.formats = formats
        if formats:
            self.stderr.write(_("How the date and number columns are read:"))
        for column_format in formats:
            self.stderr.write(f"  {column_format.summary()}")
            if misfit := column_format.evidence.misfit_line(column_format.decision):
                self.stderr.write(f"    {misfit}")

    def _ignored(self, job, names) -> list[dict[str, str]]:
        """--ignore-column: each a column's name (of one column), else a column letter."""
        entries = []
        for name in names:
            named = [p for p, header in enumerate(job.headers) if header and same_name(header) == same_name(name)]
            position = named[0] if len(named) == 1 else None if named else letter_position(name)
            if position is None:
                message = ignore_column_refusal(name)
                services.cancel_import(job=job, reason=message)
                raise CommandError(str(message), returncode=2)
            entries.append(ignored_entry(job.headers, position))
        return entries

    def _say_title_rows(self, job) -> None:
        """Rows with content above the column names were left out as a title: say which, and
        how to read the column names from another row."""
        rows = services.title_rows(job)
        if not rows:
            return
        above = ", ".join(
            _("row %(row)s ('%(text)s')")
            % {"row": row.number, "text": " ".join(str(cell) for cell in row.cells if cell is not None)[:60]}
            for row in rows
        )
        self.stderr.write(
            _(
                "The column names were found in row %(row)s; above them, %(above)s is taken as a title and not imported. If another row holds the column names, give --header-row with its number."
            )
            % {"row": job.header_row, "above": above}
        )

    def _say_remembered(self, job) -> None:
        """The user's own mapping remembered from an earlier import is used again: say when,
        so that he is not surprised by an old choice (nobody else's is ever used)."""
        saved = services.remembered_mapping(job=job)
        if saved is None:
            return
        values = {
            "user": job.user.get_username(),
            "date": formats.date_format(timezone.localtime(saved.updated_at), "d-m-Y H:i"),
            "type": job.item_type.code,
        }
        new = [f"'{column_title(job.headers, position)}'" for position in new_columns(job.headers, saved.headers)]
        if new:
            self.stderr.write(
                _(
                    "Mapping remembered from %(user)s's import of %(date)s for type %(type)s and the same columns but fewer; new in this file: %(columns)s. Pass --mapping to change it."
                )
                % {**values, "columns": ", ".join(new)}
            )
            return
        self.stderr.write(
            _(
                "Mapping remembered from %(user)s's import of %(date)s for type %(type)s and these columns; pass --mapping to change it."
            )
            % values
        )

    def _shared(self, job, name):
        """The mapping shared under `name` for the job's type and columns, for its user."""
        shared = services.shared_mappings(job=job, user=job.user)
        found = next((mapping for mapping in shared if mapping.name == name), None)
        if found is None:
            names = ", ".join(f"'{mapping.name}'" for mapping in shared) or N_("none")
            message = N_(
                "No mapping is shared as '%(name)s' for type %(type)s and these columns; shared ones: %(names)s."
            ) % {"name": name, "type": job.item_type.code, "names": names}
            services.cancel_import(job=job, reason=message)
            raise CommandError(str(message), returncode=2)
        self.stderr.write(
            _("Mapping shared as '%(name)s' for type %(type)s used.") % {"name": found.name, "type": job.item_type.code}
        )
        return found

    def _progress(self, verb):
        verb = _("rows validated") if verb == "validated" else _("rows imported")

        def show(done, total):
            if done < 500 and not getattr(self, "_progress_shown", False):
                return  # a short file needs no progress bar
            if total:
                width = 30
                filled = int(width * done / total)
                bar = "#" * filled + "." * (width - filled)
                self.stderr.write(f"\r[{bar}] {done:,}/{total:,} {verb}", ending="")
            else:
                self.stderr.write(f"\r{done:,} {verb}", ending="")
            self.stderr.flush()
            self._progress_shown = True

        return show

    def _end_progress(self):
        if getattr(self, "_progress_shown", False):
            self.stderr.write("")
            self._progress_shown = False

    def _report(self, job, problems, note=None):
        """The summary; `problems` holds at most the first 5,000 (the counts are complete)."""
        result = getattr(self, "result", None)
        unknown, value_maps = unknown_values_of(job)
        summary = {
            "job": str(job.pk),
            "state": job.state,
            "type": job.item_type.code,
            "file": job.file_name,
            "sheet": services.shown_sheet(job),
            "rows": job.row_count,
            "valid_rows": job.valid_row_count,
            "invalid_rows": job.invalid_row_count,
            "rows_created_before": job.recognised_row_count,
            "items_created": job.items_created,
            "errors": job.error_count,
            "warnings": job.warning_count,
            "rows_imported": result.rows_imported if result else 0,
            "rows_left_out": result.rows_left_out if result else 0,
            "duplicate_rows": job.duplicate_row_count,
            "duplicates": job.duplicates or None,
            "rows_skipped": result.rows_skipped if result else 0,
            "not_imported_columns": getattr(self, "not_imported", []),
            "unknown_values": unknown,
            "values": value_maps,
            "left_out_columns": job.left_out_columns,
            "column_formats": [  # how each date and number column was read, and who decided
                {
                    "field": f.code,
                    "column": f.column,
                    "key": f.key,
                    "decision": f.decision,
                    "decided_by": "mapping" if f.given else "values" if f.decision else None,
                }
                for f in getattr(self, "formats", [])
            ],
            "seconds": round(time.monotonic() - self.started, 2),
            "problems": [
                {
                    "row": p.row,
                    "column": p.column,
                    "value": p.value,
                    "code": p.code,
                    "message": p.text,  # in the language of the run; the code is the same in all
                    "is_warning": p.is_warning,
                }
                for p in problems
            ],
        }
        summary["landing"] = job.landing  # what the valid rows make per destination (issue 17)
        summary["unused_files"] = job.unused_files  # the ZIP's files no row uses: not stored
        destinations = services.unknown_destinations(job=job, user=job.user)
        summary["destinations_not_found"] = [destination_as_dict(destination) for destination in destinations]
        summary["earlier_import"] = None  # the same file imported before for the type, if it was
        if self.earlier:
            # Who ran it and its id only for the user's own import, or for an administrator.
            named = services.may_name_importer(self.earlier, job.user)
            summary["earlier_import"] = {
                "job": str(self.earlier.pk) if named else None,
                "finished_at": (self.earlier.finished_at or self.earlier.created_at).isoformat(),
                "user": self.earlier.user.get_username() if named else None,
                "items_created": self.earlier.items_created,
            }
            note = " ".join(
                str(part) for part in [note, services.imported_before_message(self.earlier, viewer=job.user)] if part
            )
        if note:
            summary["note"] = str(note)  # a Message: in the language of the run
        if self.as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        sheet = services.shown_sheet(job)
        source = _("%(file)s, sheet '%(sheet)s'") % {"file": job.file_name, "sheet": sheet} if sheet else job.file_name
        self.stdout.write(
            _(
                "Import %(job)s (%(type)s, %(source)s): %(state)s. %(rows)s rows, %(valid)s valid, %(invalid)s invalid; %(items)s items created."
            )
            % {
                "job": job.pk,
                "type": job.item_type.code,
                "source": source,
                "state": job.get_state_display(),
                "rows": job.row_count,
                "valid": job.valid_row_count,
                "invalid": job.invalid_row_count,
                "items": job.items_created,
            }
        )
        if job.recognised_row_count:
            self.stdout.write(
                _(
                    "  %(count)s rows were created by an earlier import already (the status column names their items): left alone."
                )
                % {"count": job.recognised_row_count}
            )
        if job.duplicate_row_count:
            self.stdout.write(
                "  "
                + _("Probable duplicates: %(rows)s rows; skipped: %(skipped)s.")
                % {"rows": job.duplicate_row_count, "skipped": result.rows_skipped if result else 0}
            )
        for line in landing_lines(job):
            self.stdout.write(line)
        for p in sorted(problems, key=lambda p: p.is_warning)[:SHOWN_PROBLEMS]:  # errors first
            kind = _("warning") if p.is_warning else _("error")
            where = (
                (_("row %(row)s") % {"row": p.row} if p.row is not None else _("attachments ZIP"))
                + (_(", column '%(column)s'") % {"column": p.column} if p.column else "")
                + (_(", value '%(value)s'") % {"value": p.value} if p.value else "")
            )
            self.stdout.write(f"  {kind} {where}: [{p.code}] {p.text}")
        total = job.error_count + job.warning_count
        if total > SHOWN_PROBLEMS:
            self.stdout.write(
                "  ... "
                + _("%(total)s problems in all (use --rejected-out for every invalid row).") % {"total": grouped(total)}
            )
        self._report_values(unknown, value_maps)
        for line in destination_lines(destinations):
            self.stdout.write(line)
        if note:
            self.stdout.write(note)

    def _report_values(self, unknown, value_maps) -> None:
        """The values not recognised, each with its rows and a suggestion, and the value map
        (the mapping's, with the suggestions) in the shape --values takes."""
        if not unknown:
            return
        self.stdout.write(_("Values not recognised (choose a value for each in a --values file):"))
        for value in unknown:
            where = ngettext(
                "'%(value)s' in column '%(column)s', %(rows)s row",
                "'%(value)s' in column '%(column)s', %(rows)s rows",
                value["rows"],
            ) % {
                "value": value["value"],
                "column": value["column"],
                "rows": value["rows"],
            }
            if value["suggestion"]:
                where += ": " + _("suggested %(code)s") % {"code": value["suggestion"]}
            self.stdout.write(f"  {where}")
        if value_maps:
            self.stdout.write(_("Value map with the suggestions (check it, save it as JSON and pass --values):"))
            self.stdout.write(json.dumps(value_maps, ensure_ascii=False, indent=2))


SHOWN_DESTINATIONS = 20  # destinations the summary lists by name; the totals count all


def landing_lines(job) -> list[str]:
    """What lands where, as the check page shows it (services.landing_report): the totals,
    the first SHOWN_DESTINATIONS destinations, what the creation profile makes, and the
    files of the ZIP that no row uses (not stored by the command line)."""
    report = services.landing_report(job=job, user=job.user, page_size=SHOWN_DESTINATIONS)
    lines = []
    if report.items:
        lines.append("  " + _("What lands where: %(summary)s.") % {"summary": report.sentence})
        for row in report.rows:
            name = " ".join(part for part in [row.name, f"({', '.join(row.roles)})" if row.roles else ""] if part)
            counts = ", ".join(
                [
                    ngettext("%(count)s item", "%(count)s items", row.items) % {"count": row.items},
                    ngettext("%(count)s file", "%(count)s files", row.files) % {"count": row.files},
                    row.size,
                ]
            )
            lines.append(f"    {' '.join(part for part in [row.number, name] if part)}: {counts}")
        more = report.destination_count - len(report.rows)
        if more > 0:
            lines.append(
                "    ... "
                + ngettext("%(count)s more destination", "%(count)s more destinations", more) % {"count": grouped(more)}
            )
        lines.extend(f"    {line.text}" for line in report.profile)
    unused = services.unused_file_rows(job=job, user=job.user)
    if unused.count:
        lines.append(
            "  "
            + ngettext(
                "%(count)s file of the attachments ZIP (%(size)s) is named by no row and is not stored:",
                "%(count)s files of the attachments ZIP (%(size)s) are named by no row and are not stored:",
                unused.count,
            )
            % {"count": grouped(unused.count), "size": unused.size}
        )
        lines.extend(f"    {entry.name} ({entry.size_text})" for entry in unused.files[:SHOWN_DESTINATIONS])
        if unused.count > min(len(unused.files), SHOWN_DESTINATIONS):
            lines.append("    ...")
    return lines


def destination_as_dict(destination) -> dict:
    """A destination not found, for --json: its value, rows, candidates and suggestion."""
    resolution = destination.resolution
    return {
        "field": destination.field,
        "value": destination.value,
        "rows": destination.count,
        "first_rows": list(destination.rows),
        "evidence": str(resolution.evidence),
        "explanation": str(resolution.explanation),
        "candidates": [{"number": c.number, "label": c.label, "is_active": c.is_active} for c in resolution.candidates],
        "suggestion": resolution.suggestion,
    }


def destination_lines(unknown) -> list[str]:
    """The destinations not found with their candidates, and the value maps to give in the
    mapping file for the suggestions (issue 16: the same choices as on the check page)."""
    if not unknown:
        return []
    lines = [_("Destinations not found (each value once, with the existing relations it may mean):")]
    suggested: dict[str, dict[str, str]] = {}
    for destination in unknown:
        resolution = destination.resolution
        rows = ", ".join(str(row) for row in destination.rows) + (", ..." if destination.more_rows else "")
        lines.append(
            "  "
            + ngettext(
                "%(field)s '%(value)s' (%(count)s row: %(rows)s): %(explanation)s",
                "%(field)s '%(value)s' (%(count)s rows: %(rows)s): %(explanation)s",
                destination.count,
            )
            % {
                "field": destination.field_label,
                "value": destination.value,
                "count": destination.count,
                "rows": rows,
                "explanation": resolution.explanation,
            }
        )
        for candidate in resolution.candidates:
            mark = _(" (suggested)") if candidate.number == resolution.suggestion else ""
            lines.append(f"      {candidate.label}{mark}")
        if resolution.suggestion:
            suggested.setdefault(destination.field, {})[destination.value] = resolution.suggestion
    if suggested:
        lines.append(
            _(
                'To use the suggestions, add them to the field\'s "values" in the --mapping file, for example {"relation": {"column": "...", "values": {"D20004": "20004"}}}:'
            )
        )
        lines.append("  " + json.dumps(suggested, ensure_ascii=False))
    return lines


def not_imported_columns(job) -> list[dict[str, str]]:
    """The columns of the file that no field of the mapping takes: never dropped without a
    word. Each as {"column": its title (mapping.column_title), "letter": its letter}."""
    taken = {source.position for source in field_sources(job.headers, job.mapping) if source.position is not None}
    return [
        {"column": column_title(job.headers, position), "letter": column_letter(position)}
        for position in range(len(job.headers))
        if position not in taken and not is_status_column(job.headers[position])
    ]


def ignore_column_refusal(name: str) -> Message:
    """--ignore-column names no single column: a name given twice, or neither a name nor a
    letter."""
    return N_(
        "--ignore-column '%(name)s' names no single column of the file: give a column's name, or its letter when the name is given twice or missing (A, B, ..., Z, AA, ...)."
    ) % {"name": name}


def values_of(raw, spec) -> dict[str, dict[str, str]]:
    """A --values file's content as value maps per field, checked: an object of fields, each
    an object of the file's values and the value to use, which the field must take."""
    shape = _(
        'A values file is a JSON object of fields, each an object of the values in the file and the value to use, such as {"characteristic_1": {"middel": "MIDDEN"}}.'
    )
    if not isinstance(raw, dict) or not all(
        isinstance(values, dict) and value_map_shape_message(values) is None for values in raw.values()
    ):
        raise CommandError(shape, returncode=2)
    found = {}
    for code, values in raw.items():
        field = spec.get(code)
        if field is None or field.is_hidden or field.auto:
            raise CommandError(
                _("Type %(type)s has no field '%(field)s' to take values: remove it from the values file.")
                % {"type": spec.item_type.code, "field": code},
                returncode=2,
            )
        chosen = value_map({VALUES: values})
        if problems := value_map_problems(spec, code, chosen):
            raise CommandError(problems[0].message, returncode=2)
        allowed = allowed_values(spec, code)
        if field.kind in (Kind.USER, Kind.EXTRA):
            codes = {value.code.casefold() for value in allowed}
            for raw_value, target in chosen.items():
                if target.casefold() not in codes:
                    raise CommandError(
                        _(
                            "%(field)s cannot take '%(target)s', given in the values file for '%(raw)s': it does not exist."
                        )
                        % {"field": capfirst(field.label), "target": target, "raw": raw_value},
                        returncode=2,
                    )
        found[code] = chosen
    return found


def unknown_values_of(job) -> tuple[list[dict], dict[str, dict[str, str]]]:
    """The job's values not recognised, each with its suggestion (None when none is likely),
    and the value maps to save: the mapping's own, with the suggestions added."""
    data = job.unknown_values or {}
    if not data.get("values"):
        return [], {}
    spec = services.spec_for(job)
    allowed: dict[str, list] = {}
    unknown = []
    maps = {code: value_map(source) for code, source in job.mapping.items() if isinstance(source, dict)}
    maps = {code: values for code, values in maps.items() if values}
    for entry in data["values"]:
        code = entry.get("field")
        if code not in spec:
            continue
        if code not in allowed:
            allowed[code] = allowed_values(spec, code)
        suggested = suggestion(entry["value"], allowed[code]) if allowed[code] else None
        unknown.append({**entry, "suggestion": suggested})
        if suggested:
            maps.setdefault(code, {})[entry["value"]] = suggested
    return unknown, maps
