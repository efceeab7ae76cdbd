"""Recording one dossier item by hand, in the admin look.

Every view opens with a helper that loads what it shows and checks access: recording needs
InSite or Profit rights (R2, 403 with the reason) and only offers the types the user is
authorised for (R3); an item and its attachments are shown to whoever
`DossierItem.objects.visible_to` lets see them (404 otherwise)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.rights import rights_refusal
from config.views import admin_page
from dossier.access import usable_item_types
from dossier.display import shown_fields
from dossier.forms import ChooseTypeForm, ItemForm
from dossier.models import (
    Attachment,
    CreationProfile,
    DossierItem,
    ItemType,
    ReviewTask,
)
from dossier.reading import file_response
from dossier.services import create_item
from dossier.spec import ItemSpec, Purpose


def submitter_required(view):
    """Signed in (else to the login page) and with InSite or Profit rights (else 403, R2)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if reason := rights_refusal(request.user):
            return admin_page(
                request, "dossier/refused.html", {"title": _("Not allowed"), "reason": reason}, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def _get_type_for_user(request: HttpRequest, type_code: str) -> ItemType:
    return get_object_or_404(usable_item_types(request.user), code=type_code)


def _get_profile(item_type: ItemType, profile_code: str | None) -> CreationProfile | None:
    if not profile_code:
        return None
    return get_object_or_404(item_type.creation_profiles.filter(is_active=True), code=profile_code)


def _get_item_for_user(request: HttpRequest, pk: int) -> DossierItem:
    items = DossierItem.objects.visible_to(request.user).select_related(
        "item_type",
        "submitter",
        "responsible",
        "relation",
        "contact__organisation",
        "contact__person",
        "project",
        "course",
        "cause",
        "characteristic_value_1",
        "characteristic_value_2",
        "characteristic_value_3",
        "creation_profile",
        "workflow_instance__workflow",
        "workflow_instance__current_task",
    )
    items = items.prefetch_related(
        "attachments", Prefetch("review_tasks", queryset=ReviewTask.objects.select_related("reviewer"))
    )
    return get_object_or_404(items, pk=pk)


@require_GET
@submitter_required
def record_choose(request: HttpRequest) -> HttpResponse:
    form = ChooseTypeForm(request.GET if "item_type" in request.GET else None, user=request.user)
    if form.is_valid():
        return redirect(form.target_url())
    active_profiles = Prefetch(
        "creation_profiles", queryset=CreationProfile.objects.filter(is_active=True), to_attr="active_profiles"
    )
    types = usable_item_types(request.user).prefetch_related(active_profiles)
    return admin_page(
        request, "dossier/record_choose.html", {"title": _("Record a dossier item"), "types": types, "form": form}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@submitter_required
def record_item(request: HttpRequest, type_code: str) -> HttpResponse:
    item_type = _get_type_for_user(request, type_code)
    spec = ItemSpec(item_type, _get_profile(item_type, request.GET.get("profile")), purpose=Purpose.ENTRY)
    if request.method == "POST":
        form = ItemForm(spec, request.POST, request.FILES, user=request.user)
        if form.is_valid():
            item = create_item(spec=spec, values=form.validated_values, attachment=form.attachment)
            messages.success(request, _("Item %(item)s was recorded.") % {"item": item})
            return redirect("dossier:item-detail", pk=item.pk)
    else:
        form = ItemForm(spec, user=request.user)
    context = {
        "title": _("Record %(type)s") % {"type": item_type.name},
        "subtitle": spec.profile.name if spec.profile else None,
        "item_type": item_type,
        "form": form,
    }
    return admin_page(request, "dossier/record_item.html", context)


@require_GET
@login_required  # seeing an item is the visibility rule's question alone, not R2's
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _get_item_for_user(request, pk)
    context = {
        "title": str(item),
        "item": item,
        "rows": shown_fields(item),
        "workflow": getattr(item, "workflow_instance", None),
    }
    return admin_page(request, "dossier/item_detail.html", context)


@require_GET
@login_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    return _attachment_response(request, pk, inline=False)


@require_GET
@login_required
def attachment_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A PDF or an image shown in the browser, sandboxed (dossier/reading.py); any other file,
    or one whose first bytes are not what its name says, is downloaded."""
    return _attachment_response(request, pk, inline=True)


def _attachment_response(request: HttpRequest, pk: int, *, inline: bool) -> HttpResponse:
    visible = DossierItem.objects.visible_to(request.user)
    attachment = get_object_or_404(Attachment.objects.filter(item__in=visible), pk=pk)
    try:
        content = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file of this attachment is missing.")) from None
    except OSError:  # the storage cannot be read (permissions, a disk gone): one sentence, no 500 page
        reason = _(
            "The file of this attachment cannot be read from the server's storage just now; ask an administrator to check the storage."
        )
        return admin_page(request, "dossier/refused.html", {"title": _("Not available"), "reason": reason}, status=503)
    # Names stored before invisible characters were removed still lose them here (U+202E).
    return file_response(attachment, content, inline=inline)
