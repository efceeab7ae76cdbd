"""An ImportJob records one import from upload to outcome (R29)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dossier.models import CreationProfile, ItemType, private_storage
from spreadsheets.messages import MessageField


class ImportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> ImportJobQuerySet:
        """A job (its file name, headers, mapping, problems quoting cell values) is its
        owner's and the superusers', nobody else's."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self if user.is_superuser else self.filter(user=user)

    def owned_by(self, user) -> ImportJobQuerySet:
        """The jobs a user may act on in the wizard (choose the sheet, map, check, commit,
        cancel, correct): his own, nobody else's. Administrators read other users' jobs
        (`visible_to`) and may cancel a running one from the history, never continue one:
        its items would be submitted as its owner."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(user=user)


class ImportJob(models.Model):
    class State(models.TextChoices):
        UPLOADED = "uploaded", pgettext_lazy("import state", "uploaded")
        MAPPED = "mapped", pgettext_lazy("import state", "mapped")
        VALIDATING = "validating", pgettext_lazy("import state", "validating")
        VALIDATED = "validated", pgettext_lazy("import state", "validated")
        IMPORTING = "importing", pgettext_lazy("import state", "importing")
        DONE = "done", pgettext_lazy("import state", "done")
        FAILED = "failed", pgettext_lazy("import state", "failed")
        CANCELLED = "cancelled", pgettext_lazy("import state", "cancelled")
        UNDONE = "undone", pgettext_lazy("import state", "undone")
        # Its owner discarded it before it was imported, or it waited IMPORT_RETENTION_DAYS
        # without being continued: its files are gone, its record stays.
        DISCARDED = "discarded", pgettext_lazy("import state", "discarded")
        # An undo queued for the task worker or at work (back to done if it fails).
        UNDOING = "undoing", pgettext_lazy("import state", "undoing")

    class Source(models.TextChoices):
        WIZARD = "wizard", pgettext_lazy("import source", "wizard")
        COMMAND_LINE = "command line", pgettext_lazy("import source", "command line")

    class Duplicates(models.TextChoices):
        """What to do with rows that are probably imported before, or repeat an earlier row of
        the file (imports/pipeline/duplicates.py): the user's choice; "" until he made it."""

        SKIP = "skip", pgettext_lazy("duplicates", "skip them")
        IMPORT = "import", pgettext_lazy("duplicates", "import them anyway")

    TRANSITIONS: dict[str, set[str]] = {
        State.UPLOADED: {State.MAPPED, State.CANCELLED, State.FAILED, State.DISCARDED},
        # A commit validates first when the validation is missing or out of date.
        State.MAPPED: {State.MAPPED, State.VALIDATING, State.IMPORTING, State.CANCELLED, State.DISCARDED},
        State.VALIDATING: {State.VALIDATED, State.FAILED, State.CANCELLED},
        State.VALIDATED: {State.MAPPED, State.VALIDATING, State.IMPORTING, State.CANCELLED, State.DISCARDED},
        # Back to validated when the commit's re-check finds invalid rows the user did not
        # choose to leave out.
        State.IMPORTING: {State.DONE, State.FAILED, State.CANCELLED, State.VALIDATED},
        State.FAILED: {State.MAPPED, State.VALIDATING, State.IMPORTING, State.CANCELLED, State.DISCARDED},
        State.DONE: {State.UNDOING, State.UNDONE},
        # An undo that fails or whose worker dies leaves the import done, as it was.
        State.UNDOING: {State.UNDONE, State.DONE},
        State.CANCELLED: {State.DISCARDED},
        State.UNDONE: set(),
        State.DISCARDED: set(),
    }

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("user")
    )
    item_type = models.ForeignKey(
        ItemType, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("type")
    )
    creation_profile = models.ForeignKey(
        CreationProfile, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("creation profile")
    )
    file = models.FileField(_("file"), upload_to="imports/", storage=private_storage, max_length=255, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, blank=True)
    attachments_zip = models.FileField(
        _("attachments ZIP"), upload_to="imports/", storage=private_storage, max_length=255, blank=True
    )
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=list, blank=True)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    sheet_names = models.JSONField(_("sheets"), default=list, blank=True)
    attachments_name = models.CharField(_("attachments ZIP name"), max_length=255, blank=True)
    source = models.CharField(_("started from"), max_length=12, choices=Source.choices, default=Source.WIZARD)
    options = models.JSONField(_("options"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.UPLOADED)
    progress_done = models.PositiveIntegerField(_("rows processed"), default=0)
    progress_total = models.PositiveIntegerField(_("rows in total"), default=0)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # A validation or commit handed to the task worker: when, and its task. While a queued job
    # has no heartbeat, no worker has taken it up yet.
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    valid_row_count = models.PositiveIntegerField(_("valid rows"), default=0)
    invalid_row_count = models.PositiveIntegerField(_("invalid rows"), default=0)
    # Rows of a reconciliation workbook uploaded again that an earlier import created already:
    # left alone (rows = valid + invalid + these).
    recognised_row_count = models.PositiveIntegerField(_("rows created before"), default=0)
    items_created = models.PositiveIntegerField(_("items created"), default=0)
    # The number of the first item the commit made: the items are numbered on from it in the
    # order of the rows (R28), so the reconciliation workbook names each row's items.
    first_number = models.PositiveIntegerField(_("first item number"), null=True, blank=True)
    # The import whose file this one corrects ("Upload a corrected file"): the rows it created
    # are recognised in this file and left alone.
    corrects = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("corrects")
    )
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    # What the validation tells the commit: when it ran and what it staged.
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    staged_items = models.PositiveIntegerField(_("items staged"), default=0)
    staged_attachments = models.PositiveIntegerField(_("attachments staged"), default=0)
    skip_invalid = models.BooleanField(_("only the valid rows"), default=False)
    # Valid rows that are probably duplicates (found by the validation), the items they hold,
    # and the user's choice for them: nothing is imported while they are undecided.
    duplicate_row_count = models.PositiveIntegerField(_("rows probably duplicates"), default=0)
    duplicate_item_count = models.PositiveIntegerField(_("items in probable duplicates"), default=0)
    duplicates = models.CharField(_("probable duplicates"), max_length=6, choices=Duplicates.choices, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    # Columns holding data that no field takes, found by the validation (LeftOutColumn.as_dict
    # of imports/pipeline/columns.py): each confirmed by the mapping as not imported, or not.
    left_out_columns = models.JSONField(_("columns not imported"), default=list, blank=True)
    # The distinct values of the file that are none of their field's allowed values (the
    # check's UnknownValues.as_dict, imports/pipeline/outcomes.py), for the check page's value map.
    unknown_values = models.JSONField(_("values not recognised"), default=dict, blank=True)
    # The relation and contact references that named nothing, per distinct value with its row
    # count and first rows (imports/pipeline/destinations.py), found by the validation.
    unknown_destinations = models.JSONField(_("destinations not found"), default=dict, blank=True)
    # What the valid rows will make, per destination (imports/pipeline/landing.py
    # `Landing.as_dict`: totals, and the first MAX_DESTINATIONS destinations with their items,
    # files and bytes), found by the validation for the check page and the command line.
    landing = models.JSONField(_("what lands where"), default=dict, blank=True)
    # The files of the attachments ZIP that no row names (`unused_files`: the first
    # MAX_UNUSED_FILES, with their count and bytes), found by the validation; and the user's
    # decision for each (`file_choices`, by the file's path in the ZIP: {"choice": "leave"} or
    # {"choice": "add", "relation": "10081", "subject": "CV"}; "*" for every file not listed).
    unused_files = models.JSONField(_("files no row uses"), default=dict, blank=True)
    file_choices = models.JSONField(_("choices for files no row uses"), default=dict, blank=True)
    error_message = MessageField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    # When the job's files (upload, ZIP, staged rows) were removed: discarded by its owner,
    # by the reaper after IMPORT_RETENTION_DAYS (imports.services.reaping), or by an undo.
    files_removed_at = models.DateTimeField(_("files removed"), null=True, blank=True)
    # Names in private storage an undo still has to remove (the uploaded sheet and ZIP, the
    # staged rows, the removed items' attachments): written with the undo's commit, emptied
    # as they go; what the storage refused stays for the reaper to try again.
    files_left = models.JSONField(_("files left to remove"), default=list, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("undone by"),
    )
    # Who asked to cancel, and when: the owner in the wizard or the history, or an
    # administrator in the history. A running job ends cancelled a little later (finished_at).
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # commit_import looks for an earlier import of the same file for the same type.
        indexes = [models.Index(fields=["item_type", "file_sha256"], name="import_same_file")]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.item_type.code} {self.file_name or self.pk}"

    def can_move_to(self, state: str) -> bool:
        return state in self.TRANSITIONS.get(self.state, set())

    @property
    def is_running(self) -> bool:
        """Validating or importing: queued for the worker, or at work."""
        return self.state in (self.State.VALIDATING, self.State.IMPORTING)

    @property
    def can_be_discarded(self) -> bool:
        """Not imported and not running: its owner may discard it (its files go)."""
        return self.can_move_to(self.State.DISCARDED)

    @property
    def skips_duplicates(self) -> bool:
        """Whether the commit leaves out the rows that are probably duplicates."""
        return self.duplicates == self.Duplicates.SKIP and bool(self.duplicate_row_count)

    @property
    def rows_skipped(self) -> int:
        """Rows left out as probable duplicates by a commit that is done (or undone since)."""
        if self.state not in (self.State.DONE, self.State.UNDOING, self.State.UNDONE):
            return 0
        return self.duplicate_row_count if self.skips_duplicates else 0

    @property
    def undecided_files(self) -> int:
        """Files of the ZIP that no row uses and that the user did not decide on yet (leave
        out, or add as a row): nothing is imported while there are any, so no file is dropped
        unasked."""
        unused = self.unused_files if isinstance(self.unused_files, dict) else {}
        choices = self.file_choices if isinstance(self.file_choices, dict) else {}
        if choices.get("*") == "leave":
            return 0
        listed = [entry.get("name") for entry in unused.get("files") or () if isinstance(entry, dict)]
        undecided = sum(1 for name in listed if name not in choices)
        count = unused.get("count") if isinstance(unused.get("count"), int) else len(listed)
        return undecided + max(count - len(listed), 0)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class SavedMappingQuerySet(models.QuerySet):
    def visible_to(self, user) -> SavedMappingQuerySet:
        """A saved mapping holds a file's headers and fixed values. A user sees his own
        remembered mappings and the shared ones of the types he may use; a superuser all."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            models.Q(owner=user, shared=False) | models.Q(shared=True, item_type__in=ItemType.objects.usable_by(user))
        )

    def remembered_for(self, user, item_type: ItemType, key: str) -> SavedMapping | None:
        """The user's own remembered mapping for the type and header set (never another's)."""
        if not getattr(user, "pk", None):
            return None
        found = self.filter(owner=user, shared=False, item_type=item_type, header_key=key)
        return found.select_related("owner").first()

    def shared_for(self, user, item_type: ItemType, key: str) -> SavedMappingQuerySet:
        """The named mappings shared with the users of the type for this header set, for a
        user who may use the type (offered as a choice, never applied unasked)."""
        found = self.visible_to(user).filter(shared=True, item_type=item_type, header_key=key)
        return found.select_related("owner").order_by("name")


class SavedMapping(models.Model):
    """A mapping for a type and a set of headers. Remembered (`shared` off): the last one
    that worked for its owner, offered to him alone next time. Shared: saved under a name by
    a user who may change the type, offered as a choice to every user of the type."""

    item_type = models.ForeignKey(
        ItemType, on_delete=models.CASCADE, related_name="saved_mappings", verbose_name=_("type")
    )
    header_key = models.CharField(_("header set"), max_length=64)
    headers = models.JSONField(_("headers"), default=list)
    mapping = models.JSONField(_("mapping"), default=dict)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_mappings",
        verbose_name=_("owner"),
    )
    shared = models.BooleanField(
        _("shared with the type's users"),
        default=False,
        help_text=_("Offered as a choice to every user of the type, fixed values included."),
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SavedMappingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "item_type", "header_key"],
                condition=models.Q(shared=False),
                name="unique_remembered_mapping",
            ),
            models.UniqueConstraint(
                fields=["item_type", "header_key", "name"],
                condition=models.Q(shared=True),
                name="unique_shared_mapping",
            ),
        ]
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")

    def __str__(self) -> str:
        headers = ", ".join(str(header) for header in self.headers)[:80]
        return f"{self.item_type.code} '{self.name}': {headers}" if self.shared else f"{self.item_type.code}: {headers}"
