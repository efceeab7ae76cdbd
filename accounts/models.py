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

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def may_submit_items(self) -> bool:
        """R2: InSite or Profit rights are needed to submit or import items."""
        return self.is_active and (self.has_insite_rights or self.has_profit_rights)
