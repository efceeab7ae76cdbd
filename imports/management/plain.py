"""What the project's commands share: an error nobody foresaw is one sentence on the
terminal, and its traceback goes to the log (LOG_FILE), never to the screen."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

logger = logging.getLogger("imports.commands")


class PlainErrorsCommand(BaseCommand):
    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except (CommandError, KeyboardInterrupt, SystemExit):
            raise
        except DatabaseError as error:
            logger.error("%s failed on the database", self.__module__, exc_info=True)
            raise CommandError(
                _("The database could not be used (%(error)s). Is it reachable, and up to date (manage.py migrate)?")
                % {"error": str(error).splitlines()[0] if str(error) else type(error).__name__},
                returncode=2,
            ) from None
        except Exception:
            logger.error("%s failed", self.__module__, exc_info=True)
            raise CommandError(
                _("The command failed on an unexpected error; it was logged for an administrator."), returncode=2
            ) from None
