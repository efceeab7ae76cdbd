"""Sentences for users that are stored, and shown later in the reader's language.

A problem found while a file is checked is kept with the import job and shown on pages and in
files long after, to readers of either language. So it is not translated when it is made: a
`Message` keeps the gettext msgid and its parameters, and is translated each time it is turned
into text (`str(message)`, a template, an f-string), in the language active then.

    N_("'%(value)s' is not a date.") % {"value": raw}      # a Message, not yet translated
    N_("%(field)s is required.") % {"field": N_("subject")}  # a parameter that is a Message
                                                            # is translated with it

`N_` marks the msgid for `makemessages` (dossier/management/commands/makemessages.py adds
the keyword), as `_` does for a text translated at once. A parameter that is itself
translatable (a field's label) is a Message too, so it follows the reader's language as well;
any other parameter is kept as it is (text, number). A lazy text of Django's
(`gettext_lazy`) as a parameter is translated when the message is made: its msgid cannot be
read, so pass `N_` instead.

A Message is a `Promise`, like Django's lazy texts, so Django's forms, templates and
`force_str` take it for one. It is stored as plain JSON data (`stored`), and `render` turns
what was stored back into text: such data, a Message, or a plain text stored before messages
were kept this way (shown as it was written).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext

PLAIN_PARAMETER = (str, int, float, bool, type(None))


class Message(Promise):
    """A sentence kept as its gettext msgid and its parameters; translated when shown."""

    __slots__ = ("capitalised", "msgid", "params")

    def __init__(self, msgid: str, params: Mapping[str, Any] | None = None, *, capitalised: bool = False):
        self.msgid = msgid
        self.params = None if params is None else {str(key): _parameter(value) for key, value in params.items()}
        self.capitalised = capitalised

    def __mod__(self, params: Mapping[str, Any]) -> Message:
        return Message(self.msgid, params, capitalised=self.capitalised)

    def __str__(self) -> str:
        text = gettext(self.msgid) if self.msgid else ""
        if self.params is not None:
            params = {key: str(value) if isinstance(value, Message) else value for key, value in self.params.items()}
            try:
                text = text % params
            except (KeyError, TypeError, ValueError):
                # A translation that no longer fits what was stored: the source text does.
                try:
                    text = self.msgid % params
                except (KeyError, TypeError, ValueError):
                    text = self.msgid
        return capfirst(text) if self.capitalised else text

    def __repr__(self) -> str:
        return f"Message({self.msgid!r}, {self.params!r})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):  # as Django's lazy texts: a text is compared with it translated
            return str(self) == other
        if not isinstance(other, Message):
            return NotImplemented
        return (self.msgid, self.params, self.capitalised) == (other.msgid, other.params, other.capitalised)

    # Read like a text, as Django's lazy texts are: `"fix" in message`, `message.startswith(...)`.
    def __contains__(self, part: str) -> bool:
        return part in str(self)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def _proxy____cast(self) -> str:  # what Django asks a lazy text for (a model field's value)
        return str(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not hasattr(str, name):
            raise AttributeError(name)
        return getattr(str(self), name)

    def __hash__(self) -> int:
        return hash((self.msgid, self.capitalised, tuple(sorted((self.params or {}).items()))))

    def capitalise(self) -> Message:
        """The same message with its first letter a capital in every language."""
        return Message(self.msgid, self.params, capitalised=True)

    def with_texts(self, change: Callable[[str], str]) -> Message:
        """The same message with `change` applied to every text parameter (also of the
        messages among them): to leave out characters or cut long values."""
        if self.params is None:
            return self
        params = {
            key: value.with_texts(change)
            if isinstance(value, Message)
            else change(value)
            if isinstance(value, str)
            else value
            for key, value in self.params.items()
        }
        return Message(self.msgid, params, capitalised=self.capitalised)

    def as_data(self) -> dict[str, Any]:
        """Plain JSON data, language-free: what `Message.from_data` and `render` read."""
        data: dict[str, Any] = {"msgid": self.msgid}
        if self.params is not None:
            data["params"] = {
                key: value.as_data() if isinstance(value, Message) else value for key, value in self.params.items()
            }
        if self.capitalised:
            data["capitalised"] = True
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Message:
        params = data.get("params")
        if params is not None:
            params = {key: cls.from_data(value) if is_stored_message(value) else value for key, value in params.items()}
        return cls(str(data["msgid"]), params, capitalised=bool(data.get("capitalised")))


def N_(msgid: str) -> Message:
    """A sentence to be translated when it is shown: `N_("... %(x)s ...") % {"x": ...}`."""
    return Message(msgid)


def _parameter(value: Any) -> Any:
    if isinstance(value, Message):
        return value
    if isinstance(value, Promise):
        return str(value)  # a lazy text of Django's: its msgid cannot be read (see above)
    if isinstance(value, PLAIN_PARAMETER):
        return value
    return str(value)  # a Decimal, a date: as text, so the message stays plain JSON data


def is_stored_message(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("msgid"), str)


def stored(message: Any) -> Any:
    """What to keep of a message in JSON: a Message as its data, a text as it is."""
    return message.as_data() if isinstance(message, Message) else message


def restored(value: Any) -> Any:
    """`stored` read back: a Message again, or the text stored as it was."""
    return Message.from_data(value) if is_stored_message(value) else value


def render(value: Any) -> str:
    """A stored or made message as text in the active language: the one function every page,
    command and file uses. A plain text (stored before messages were kept as data, or
    made by code that translates at once) is shown as it is."""
    if value is None:
        return ""
    if is_stored_message(value):
        value = Message.from_data(value)
    return str(value)


def sentences(first: Any, second: Any) -> Message:
    """Two sentences as one message, each translated when shown."""
    return N_("%(first)s %(second)s") % {"first": first, "second": second}


def listed(items: Sequence[Any]) -> Message:
    """Items (labels, some of them Messages) as one comma-separated list, each translated
    when shown: "hoog, normaal, laag" for a Dutch reader, "high, normal, low" for an English one."""
    return Message(
        ", ".join(f"%(item{i})s" for i in range(len(items))), {f"item{i}": item for i, item in enumerate(items)}
    )


def message_of(error: BaseException) -> str | Message:
    """The sentence an exception was raised with, as a Message when it is one (to be stored
    language-free), else as text."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, Message) else str(error)


def capitalised(label: Any) -> Any:
    """A label with its first letter a capital: a Message stays one (translated later)."""
    return label.capitalise() if isinstance(label, Message) else capfirst(label)
