from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Submitting or importing dossier items needs InSite or Profit
    rights (R2); which item types the user may use is set on each type (R3)."""

    has_insite_rights = models.BooleanField(
        _("InSite rights"), default=False, help_text=_("May submit and import dossier items through InSite.")
    )
    has_profit_rights = models.BooleanField(
        _("Profit rights"), default=False, help_text=_("May submit and import dossier items through Profit.")
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_(
            "The language of the pages after signing in; empty: the language of the browser or the site. "
            "Changed by the language switch at the top of every page."
        ),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def may_submit_items(self) -> bool:
        """R2: InSite or Profit rights are needed to submit or import items."""
        return self.is_active and (self.has_insite_rights or self.has_profit_rights)
