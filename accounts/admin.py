from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from config.admin_base import CheckedAutocompleteFields, RedactedDeletionMixin

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(CheckedAutocompleteFields, RedactedDeletionMixin, DjangoGroupAdmin):
    """Django's, with the project's checked selects and redacted delete page."""


@admin.register(User)
class UserAdmin(CheckedAutocompleteFields, RedactedDeletionMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Preferences"), {"fields": ("language",)}),
        (
            _("Dossier item rights"),
            {
                "fields": ("has_insite_rights", "has_profit_rights", "authorised_types"),
                "description": _(
                    "Submitting or importing dossier items needs InSite or Profit rights. "
                    "Which types a user may use is set on each dossier item type."
                ),
            },
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Dossier item rights"), {"fields": ("has_insite_rights", "has_profit_rights")}),
    )
    readonly_fields = ("authorised_types",)
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_active",
        "is_staff",
        "has_insite_rights",
        "has_profit_rights",
    )
    list_filter = (*DjangoUserAdmin.list_filter, "has_insite_rights", "has_profit_rights")

    @admin.display(description=_("authorised dossier item types"))
    def authorised_types(self, user: User) -> str:
        """R3: the active types the user may use, directly or through one of his groups."""
        if user.pk is None:
            return "-"
        if user.is_superuser:
            return _("Every type (superuser).")
        # The reverse relation's model is the item type: accounts names no dossier module.
        item_types = user.authorised_item_types.model.objects
        types = item_types.usable_by(user).order_by("code")
        if not types:
            return _("None. Authorise the user on a dossier item type.")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:dossier_itemtype_change", args=[t.pk]), t) for t in types),
        )


# Sign-in throttling (django-axes, accounts/signin.py): the failed attempts hold user names and
# addresses, so only superusers see them. Deleting a user name's attempts lifts its lockout
# (as `manage.py axes_reset_username NAME` does). Successful sign-ins are not logged, so the
# access log pages are not offered.
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class SignInAttemptAdmin(RedactedDeletionMixin, AccessAttemptAdmin):
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
