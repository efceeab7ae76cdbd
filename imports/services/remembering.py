"""Which saved mapping is offered to whom.

A mapping belongs to its user. Remembered: the wizard keeps the mapping of a job whose check
ran (`remember_mapping`, from the validation task), the command line the mapping of a run that
was neither refused nor failed; it is offered (applied on the mapping step, and by
`import_items` without --mapping) to that user only, also for a file with the same columns
plus others (the columns it did not have are then named as new). Shared: a user who may
change the type saves a mapping under a name (`share_mapping`); the type's other users see it
as a choice on the mapping step and get it, fixed values included, only when they choose it;
it is offered for a file with the same columns plus others just as a remembered one is (the
new columns named). Nothing else reaches another user."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from dossier.models import ItemType
from imports.models import ImportJob, SavedMapping
from imports.pipeline.mapping import header_key, header_set
from imports.services.refusals import ImportRefused

SHARE_PERMISSION = "dossier.change_itemtype"
NAME_LENGTH = SavedMapping._meta.get_field("name").max_length
# A user's latest remembered mappings of a type (and the latest shared ones) that are looked at
# for a file with more columns.
REMEMBERED_LOOKED_AT = 200


def remember_mapping(*, job: ImportJob) -> SavedMapping | None:
    """Remember the job's mapping for its owner, type and header set (his earlier one for
    these headers is replaced). Call it only once the mapping worked: the check ran."""
    if not job.mapping or not job.headers:
        return None
    saved, _created = SavedMapping.objects.update_or_create(
        owner=job.user,
        shared=False,
        item_type=job.item_type,
        header_key=header_key(job.headers),
        defaults={"headers": job.headers, "mapping": job.mapping, "updated_by": job.user, "name": ""},
    )
    return saved


def sharing_refusal(user, item_type: ItemType) -> str | None:
    """Why `user` may not share a mapping with the users of `item_type`, or None when he may:
    he may change types (dossier.change_itemtype, or a superuser) and use this one."""
    if not getattr(user, "is_active", False) or not user.has_perm(SHARE_PERMISSION):
        return _("Only a user who may change item types can share a mapping with the other users of a type.")
    if not ItemType.objects.usable_by(user).filter(pk=item_type.pk).exists():
        return _("You may not use type %(type)s, so you cannot share a mapping for it.") % {"type": item_type.code}
    return None


@transaction.atomic
def share_mapping(*, job: ImportJob, user, name: str) -> SavedMapping:
    """Share the job's (checked) mapping, fixed values included, with the users of its type
    for this header set under `name`; a shared mapping of that name is replaced. Raises
    ImportRefused when `user` may not share it or the name is empty."""
    if reason := sharing_refusal(user, job.item_type):
        raise ImportRefused(reason, job=job)
    name = " ".join(name.split())[:NAME_LENGTH]
    if not name:
        raise ImportRefused(_("Give the shared mapping a name, so that others can choose it."), job=job)
    if not job.mapping:
        raise ImportRefused(_("Save a mapping that works before you share it."), job=job)
    saved, _created = SavedMapping.objects.update_or_create(
        shared=True,
        item_type=job.item_type,
        header_key=header_key(job.headers),
        name=name,
        defaults={"headers": job.headers, "mapping": job.mapping, "owner": user, "updated_by": user},
    )
    return saved


def remembered_mapping(*, job: ImportJob) -> SavedMapping | None:
    """The mapping remembered for the job's own user, type and header set; else the one
    remembered for the widest part of these columns (the same columns plus others: a column
    added to the export, a reconciliation workbook), the latest among equals; None when
    there is neither. `mapping.new_columns` tells the columns it did not have."""
    exact = SavedMapping.objects.remembered_for(job.user, job.item_type, header_key(job.headers))
    if exact is not None or not getattr(job.user, "pk", None):
        return exact
    columns = header_set(job.headers)
    best, best_size = None, 0
    earlier = SavedMapping.objects.filter(owner=job.user, shared=False, item_type=job.item_type)
    for saved in earlier.select_related("owner").order_by("-updated_at")[:REMEMBERED_LOOKED_AT]:
        known = header_set(saved.headers) if isinstance(saved.headers, list) else frozenset()
        if known and known < columns and len(known) > best_size:
            best, best_size = saved, len(known)
    return best


def shared_mappings(*, job: ImportJob, user) -> list[SavedMapping]:
    """The named mappings shared for the job's type that `user` may choose: those for the
    job's header set, then those for part of its columns (the same columns plus others, as
    `remembered_mapping` finds them), the widest first; by name among equals. For one of the
    latter, `for_fewer_columns` is set (True) and `mapping.new_columns` tells the columns it
    did not have."""
    key, columns = header_key(job.headers), header_set(job.headers)
    ranked = []
    offered = SavedMapping.objects.shared_for(user, job.item_type).order_by("-updated_at")[:REMEMBERED_LOOKED_AT]
    for saved in offered:
        saved.for_fewer_columns = saved.header_key != key
        if not saved.for_fewer_columns:
            ranked.append((0, saved.name, saved))
            continue
        known = header_set(saved.headers) if isinstance(saved.headers, list) else frozenset()
        if known and known < columns:
            ranked.append((len(columns) - len(known), saved.name, saved))
    return [saved for _missing, _name, saved in sorted(ranked, key=lambda entry: entry[:2])]
