"""manage.py import_items: the dossier item import from the command line, through the same
services as the wizard. Exit codes: 0 everything asked was done (or a dry run found no
errors), 1 rows were invalid and nothing was stored, 2 the import was refused or the file
could not be read (one sentence on stderr, never a traceback): also a damaged attachments
ZIP, a full or unwritable storage, a rejected-rows file that cannot be written, and a file
imported before for the same type (unless --again)."""

import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dossier.models import CreationProfile, ItemType
from imports import services
from imports.pipeline.mapping import duplicate_column_warnings, field_sources
from imports.pipeline.outcomes import Problem
from imports.pipeline.reading import column_letter

SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    help = "Import new dossier items of one type from a spreadsheet (.xlsx, .xls, .ods or .csv)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the spreadsheet")
        parser.add_argument("--type", required=True, dest="type_code", help="item type code, e.g. SOLL")
        parser.add_argument("--user", required=True, help="the importing user (needs InSite or Profit rights)")
        parser.add_argument("--profile", help="creation profile code of the type")
        parser.add_argument("--attachments", help="ZIP with the files the attachment column names")
        parser.add_argument(
            "--mapping",
            help='JSON file: {"field": "Column"}, {"field": {"letter": "C"}} or {"field": {"fixed": "value"}}',
        )
        parser.add_argument("--sheet", help="sheet name (default: the first visible one)")
        parser.add_argument(
            "--header-row", type=int, help="row that holds the column names (default: the first non-empty)"
        )
        parser.add_argument("--dry-run", action="store_true", help="validate only; store nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows and leave out the invalid ones"
        )
        parser.add_argument("--rejected-out", help="write the invalid rows with their problems to this .xlsx or .csv")
        parser.add_argument(
            "--again",
            action="store_true",
            help="import a file that was imported before for the same type (same checksum) once more",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    def handle(self, *args, **options):
        self.as_json = options["json"]
        self.started = time.monotonic()
        user, item_type, profile = self._lookups(options)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"The file {path} does not exist.", returncode=2)
        job = self._start(path, user, item_type, profile, options)
        self._map(job, options.get("mapping"))
        self.earlier = services.earlier_import(job=job)
        if self.earlier and not options["again"] and not options["dry_run"]:
            message = services.imported_before_message(self.earlier)
            services.cancel_import(job=job, reason=message)
            hint = _("Give --again to import it once more.")
            raise CommandError(f"{message} {hint}", returncode=2)
        try:
            self._validate_and_commit(job, options)
        except services.ImportRefused as refusal:
            self._end_progress()
            raise CommandError(refusal.message, returncode=2) from None

    def _validate_and_commit(self, job, options):
        summary = services.validate_import(job=job, progress=self._progress("validated"))
        self._end_progress()
        if options["rejected_out"] and summary.invalid_rows:
            try:
                services.write_rejected_rows_file(job=job, target=Path(options["rejected_out"]))
            except services.ImportRefused as refusal:  # stop before anything is stored
                services.cancel_import(job=job, reason=refusal.message)
                raise
        if options["dry_run"]:
            services.discard_staging(job=job)
            self._report(job, summary.problems)
            sys.exit(1 if summary.error_count else 0)
        if summary.error_count and not options["skip_invalid"]:
            self._report(
                job, summary.problems, note="Rows are invalid, so nothing was stored. Fix them, or use --skip-invalid."
            )
            sys.exit(1)
        try:
            services.commit_import(
                job=job,
                skip_invalid=options["skip_invalid"],
                progress=self._progress("imported"),
                again=options["again"],
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
            raise CommandError(f"There is no user {options['user']}.", returncode=2) from None
        try:
            item_type = ItemType.objects.get(code=options["type_code"])
        except ItemType.DoesNotExist:
            codes = ", ".join(ItemType.objects.values_list("code", flat=True))
            raise CommandError(f"There is no item type {options['type_code']}. Types: {codes}.", returncode=2) from None
        profile = None
        if options.get("profile"):
            profile = CreationProfile.objects.filter(item_type=item_type, code=options["profile"]).first()
            if profile is None:
                raise CommandError(f"Type {item_type.code} has no creation profile {options['profile']}.", returncode=2)
        return user, item_type, profile

    def _start(self, path, user, item_type, profile, options):
        attachments = Path(options["attachments"]) if options.get("attachments") else None
        if attachments and not attachments.is_file():
            raise CommandError(f"The attachments file {attachments} does not exist.", returncode=2)
        with ExitStack() as files:
            try:
                handle = files.enter_context(path.open("rb"))
                zip_handle = files.enter_context(attachments.open("rb")) if attachments else None
            except OSError as error:
                raise CommandError(
                    f"The file {error.filename} cannot be read: {error.strerror}.", returncode=2
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
                    options={"source": "command line"},
                )
            except services.ImportRefused as refusal:
                raise CommandError(refusal.message, returncode=2) from None

    def _map(self, job, mapping_file):
        for warning in duplicate_column_warnings(job.headers):
            self.stderr.write(f"Warning: {warning}")
        if mapping_file:
            try:
                raw = json.loads(Path(mapping_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(f"The mapping file cannot be read: {error}.", returncode=2) from None
            mapping = {code: source if isinstance(source, dict) else {"column": source} for code, source in raw.items()}
            self._warn_not_imported(job.headers, mapping)
        else:
            mapping = services.suggest_mapping_for(job)
            self._warn_not_imported(job.headers, mapping)
            self.stderr.write("Mapping used (save it as JSON and pass --mapping to change it):")
            self.stderr.write(json.dumps(mapping, ensure_ascii=False, indent=2))
        problems = services.set_mapping(job=job, mapping=mapping)
        if problems:
            lines = "\n".join(f"  - {p.message}" for p in problems)
            services.cancel_import(job=job, reason="; ".join(p.message for p in problems))
            raise CommandError(f"The mapping cannot be used:\n{lines}", returncode=2)

    def _warn_not_imported(self, headers, mapping):
        """A column is never dropped without a word (a mapping that names no column is
        refused with its own sentence right after)."""
        try:
            fed = {source.position for source in field_sources(headers, mapping)}
        except (ValueError, TypeError, AttributeError, KeyError):
            return
        for position, header in enumerate(headers):
            if position not in fed:
                self.stderr.write(
                    f"Warning: column {column_letter(position)} '{header}' is not imported: no field takes it."
                )

    def _progress(self, verb):
        def show(done, total):
            if done < 500 and not getattr(self, "_progress_shown", False):
                return  # a short file needs no progress bar
            if total:
                width = 30
                filled = int(width * done / total)
                bar = "#" * filled + "." * (width - filled)
                self.stderr.write(f"\r[{bar}] {done:,}/{total:,} rows {verb}", ending="")
            else:
                self.stderr.write(f"\r{done:,} rows {verb}", ending="")
            self.stderr.flush()
            self._progress_shown = True

        return show

    def _end_progress(self):
        if getattr(self, "_progress_shown", False):
            self.stderr.write("")
            self._progress_shown = False

    def _report(self, job, problems, note=None):
        """The summary; `problems` holds at most the first 5,000 (the counts are complete)."""
        counts = job.options.get("problem_counts", {})
        summary = {
            "job": str(job.pk),
            "state": job.state,
            "type": job.item_type.code,
            "file": job.file_name,
            "sheet": services.shown_sheet(job),
            "rows": job.row_count,
            "valid_rows": job.valid_row_count,
            "invalid_rows": job.invalid_row_count,
            "items_created": job.items_created,
            "errors": counts.get("errors", 0),
            "warnings": counts.get("warnings", 0),
            "seconds": round(time.monotonic() - self.started, 2),
            "problems": [
                {k: p.as_dict()[k] for k in ("row", "column", "value", "code", "message", "is_warning")}
                for p in problems
            ],
        }
        summary["earlier_import"] = None  # the same file imported before for the type, if it was
        if self.earlier:
            summary["earlier_import"] = {
                "job": str(self.earlier.pk),
                "finished_at": (self.earlier.finished_at or self.earlier.created_at).isoformat(),
                "user": self.earlier.user.get_username(),
                "items_created": self.earlier.items_created,
            }
            note = " ".join(filter(None, [note, services.imported_before_message(self.earlier)]))
        if note:
            summary["note"] = note
        if self.as_json:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        sheet = services.shown_sheet(job)
        source = f"{job.file_name}, sheet '{sheet}'" if sheet else job.file_name
        self.stdout.write(
            f"Import {job.pk} ({job.item_type.code}, {source}): {job.get_state_display()}. "
            f"{job.row_count} rows, {job.valid_row_count} valid, {job.invalid_row_count} invalid; "
            f"{job.items_created} items created."
        )
        for p in problems[:SHOWN_PROBLEMS]:
            kind = "warning" if p.is_warning else "error"
            where = (
                f"row {p.row}"
                + (f", column '{p.column}'" if p.column else "")
                + (f", value '{p.value}'" if p.value else "")
            )
            self.stdout.write(f"  {kind} {where}: [{p.code}] {p.message}")
        total = counts.get("errors", 0) + counts.get("warnings", 0)
        if total > SHOWN_PROBLEMS:
            self.stdout.write(f"  ... {total:,} problems in all (use --rejected-out for every invalid row).")
        if note:
            self.stdout.write(note)
