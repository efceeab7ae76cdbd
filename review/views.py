"""The reviewer's pages: "my review tasks" (`my_review_tasks`), one task with its item, person,
documents and the decision form (`review_task`), and dismissing the notice of a task an undo
removed (`dismiss_withdrawn_task`). Every page opens with the one rule for review tasks
(`ReviewTask.objects.assigned_to` / `decidable_by`): a task that is not the user's is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.views import admin_page
from dossier.models import Attachment, ReviewTask
from dossier.reviewing import ReviewRefused, decide_review_task
from imports.models import WithdrawnReviewTask
from review.forms import ReviewDecisionForm

TASKS_PER_PAGE = 50
SHOWN_STATES = {"open": [ReviewTask.State.OPEN], "decided": [ReviewTask.State.APPROVED, ReviewTask.State.REJECTED]}


def _with_item(tasks):
    """Tasks with what their rows show: the item, its type, relation or contact, its files."""
    return tasks.select_related(
        "item__item_type",
        "item__relation",
        "item__contact__organisation",
        "item__contact__person",
        "review_profile",
        "reviewer",
        "decided_by",
    ).prefetch_related(Prefetch("item__attachments", queryset=Attachment.objects.order_by("pk")))


def _get_task_for_user(request: HttpRequest, pk: int) -> ReviewTask:
    """The task, if the user may open and decide it (its reviewer, or a superuser); else 404."""
    return get_object_or_404(_with_item(ReviewTask.objects.decidable_by(request.user)), pk=pk)


def withdrawn_notices(user):
    return (
        WithdrawnReviewTask.objects.visible_to(user)
        .pending()
        .select_related("item_type", "import_job__user", "undone_by")
    )


@require_http_methods(["GET", "HEAD"])
@login_required
def my_review_tasks(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("state", "open")
    if shown not in SHOWN_STATES and shown != "all":
        shown = "open"
    tasks = ReviewTask.objects.assigned_to(request.user)
    counts = {"open": tasks.open().count()}
    if shown != "all":
        tasks = tasks.filter(state__in=SHOWN_STATES[shown])
    # Open tasks first, the most urgent on top; decided ones after, the latest first.
    tasks = tasks.annotate(
        rank=Case(When(state=ReviewTask.State.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("rank", "due_date", "-decided_at", "pk")
    page = Paginator(_with_item(tasks), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": _("My review tasks"),
        "page": page,
        "shown": shown,
        "counts": counts,
        "notices": withdrawn_notices(request.user)[:100],
        "today": timezone.localdate(),
        "choices": [("open", _("Open")), ("decided", _("Decided")), ("all", _("All"))],
    }
    return admin_page(request, "review/my_tasks.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_task(request: HttpRequest, pk: int) -> HttpResponse:
    task = _get_task_for_user(request, pk)
    form = ReviewDecisionForm(request.POST or None) if task.is_open else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            decide_review_task(
                task=task,
                user=request.user,
                approve=form.cleaned_data["decision"] == ReviewDecisionForm.APPROVE,
                comment=form.cleaned_data["comment"],
            )
        except ReviewRefused as refused:
            form.add_error(None, str(refused.message))
        else:
            done = (
                _("You approved %(item)s.") if task.state == ReviewTask.State.APPROVED else _("You rejected %(item)s.")
            )
            messages.success(request, done % {"item": task.item})
            return redirect("review:my-tasks")
    elif request.method == "POST" and form is None:
        messages.warning(request, _("This review task was decided already; its decision stands."))
        return redirect("review:task", pk=task.pk)
    context = {
        "title": _("Review %(item)s") % {"item": task.item},
        "task": task,
        "item": task.item,
        "form": form,
        "today": timezone.localdate(),
    }
    return admin_page(request, "review/task.html", context)


@require_POST
@login_required
def dismiss_withdrawn_task(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(WithdrawnReviewTask.objects.visible_to(request.user).pending(), pk=pk)
    WithdrawnReviewTask.objects.filter(pk=notice.pk).update(dismissed_at=timezone.now())
    return redirect("review:my-tasks")
