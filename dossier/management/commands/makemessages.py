"""Django's makemessages, which also finds the sentences marked with `N_` (kept as msgid
and parameters, translated when shown: spreadsheets/messages.py)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=N_"]
