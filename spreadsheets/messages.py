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
any other parameter is kept as it is (text, number). A number the reader should see grouped
(131,072 in English, 131.072 in Dutch) is a `Number`: kept as a number, written in the reader's
language when shown (`grouped(limit)`); a size in bytes likewise (`file_size`). A list of
parameters is shown as its items one after the other (`joined`: several sentences kept as one
message). A lazy text of Django's (`gettext_lazy`, `pgettext_lazy`, `ngettext_lazy`, and
`capfirst` of one) as a parameter is kept as its msgid (`from_lazy`); any other lazy text is
translated when the message is made, so pass `N_` instead. A sentence whose shape depends on
the language is made in each (`in_every_language`).

`MessageField` is the model field that keeps a Message in a text column (as its JSON data).

A Message is a `Promise`, like Django's lazy texts, so Django's forms, templates and
`force_str` take it for one. It is stored as plain JSON data (`stored`), and `render` turns
what was stored back into text: such data, a Message, or a plain text stored before messages
were kept this way (shown as it was written).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import text as django_text
from django.utils import translation
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, npgettext, pgettext

PLAIN_PARAMETER = (str, int, float, bool, type(None))
SEPARATOR = " "  # between the items of a list parameter: sentences one after the other


@dataclass(frozen=True)
class Number:
    """A number in a message, written as the reader's language writes numbers: grouped, with
    that language's separators (131,072 in English, 131.072 in Dutch). Stored as
    {"number": value}."""

    value: int | float

    def __str__(self) -> str:
        return number_format(self.value, force_grouping=True)

    def as_data(self) -> dict[str, Any]:
        return {"number": self.value}


@dataclass(frozen=True)
class ByLanguage:
    """A text made once in each language of the site, for a sentence whose very shape
    depends on the language (which words it lists as "also accepted"); shown in the reader's.
    Stored as {"by_language": {"en": ..., "nl": ...}}."""

    texts: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        texts = dict(self.texts)
        language = translation.get_language() or settings.LANGUAGE_CODE
        for code in (language, language.split("-")[0], settings.LANGUAGE_CODE):
            if code in texts:
                return texts[code]
        return next(iter(texts.values()), "")

    def as_data(self) -> dict[str, Any]:
        return {"by_language": dict(self.texts)}


def in_every_language(make: Callable[[], Any]) -> Message:
    """A sentence made by `make` in each language of the site (settings.LANGUAGES), kept as
    one message shown in the reader's language: for what N_ and parameters cannot say."""
    texts = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.append((code, str(make())))
    return Message("%(text)s", {"text": ByLanguage(tuple(texts))})


@dataclass(frozen=True)
class FileSize:
    """A size in bytes in a message, written as the reader's language writes sizes ("120.0 MB"
    in English, "120,0 MB" in Dutch). Stored as {"bytes": value}."""

    value: int

    def __str__(self) -> str:
        return filesizeformat(self.value)

    def as_data(self) -> dict[str, Any]:
        return {"bytes": self.value}


def file_size(value: int) -> FileSize:
    """A file's size for a message, written in the reader's language when shown."""
    return FileSize(int(value))


def grouped(value: int | float) -> Number:
    """A count or a limit for a message, grouped in the reader's language when shown."""
    return Number(value)


def _is_stored_number(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"number"}
        and isinstance(value["number"], int | float)
        and not isinstance(value["number"], bool)
    )


class Message(Promise):
    """A sentence kept as its gettext msgid and its parameters; translated when shown."""

    __slots__ = ("_hash", "capitalised", "context", "msgid", "params", "plural", "plural_by")

    def __init__(
        self,
        msgid: str,
        params: Mapping[str, Any] | None = None,
        *,
        capitalised: bool = False,
        context: str | None = None,
        plural: str | None = None,
        plural_by: str | None = None,
    ):
        self.msgid = msgid
        self.params = None if params is None else {str(key): _parameter(value) for key, value in params.items()}
        self.capitalised = capitalised
        self._hash: int | None = None
        self.context = context  # pgettext's context, for a word that needs one ("import state")
        self.plural = plural  # ngettext's plural msgid, chosen by the parameter named `plural_by`
        self.plural_by = plural_by  # not `count`: a Message reads like a text (str.count)

    def _like(self, params: Mapping[str, Any] | None, **changes: Any) -> Message:
        """This message with other parameters (and `changes` to its options)."""
        options = {
            "capitalised": self.capitalised,
            "context": self.context,
            "plural": self.plural,
            "plural_by": self.plural_by,
            **changes,
        }
        return Message(self.msgid, params, **options)

    def __mod__(self, params: Mapping[str, Any]) -> Message:
        return self._like(params)

    def _number(self) -> int:
        value = (self.params or {}).get(self.plural_by or "")
        value = value.value if isinstance(value, Number) else value
        try:
            return int(value)
        except (TypeError, ValueError):
            return 1

    def __str__(self) -> str:
        if not self.msgid:
            text = ""
        elif self.plural is not None and self.context:
            text = npgettext(self.context, self.msgid, self.plural, self._number())
        elif self.plural is not None:
            text = ngettext(self.msgid, self.plural, self._number())
        elif self.context:
            text = pgettext(self.context, self.msgid)
        else:
            text = gettext(self.msgid)
        if self.params is not None:
            params = {key: _shown(value) for key, value in self.params.items()}
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
        return self.as_data() == other.as_data()

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
        if self._hash is None:  # a message is not changed once made; the same warning is hashed on many rows
            params = (
                (key, tuple(value) if isinstance(value, list) else value) for key, value in (self.params or {}).items()
            )
            self._hash = hash((self.msgid, self.capitalised, tuple(sorted(params))))
        return self._hash

    def capitalise(self) -> Message:
        """The same message with its first letter a capital in every language."""
        return self._like(self.params, capitalised=True)

    def with_texts(self, change: Callable[[str], str]) -> Message:
        """The same message with `change` applied to every text parameter (also of the
        messages among them): to leave out characters or cut long values."""
        if self.params is None:
            return self

        def changed(value: Any) -> Any:
            if isinstance(value, Message):
                return value.with_texts(change)
            if isinstance(value, list):
                return [changed(item) for item in value]
            return change(value) if isinstance(value, str) else value

        return self._like({key: changed(value) for key, value in self.params.items()})

    def as_data(self) -> dict[str, Any]:
        """Plain JSON data, language-free: what `Message.from_data` and `render` read."""
        data: dict[str, Any] = {"msgid": self.msgid}
        if self.params is not None:
            data["params"] = {key: _parameter_data(value) for key, value in self.params.items()}
        if self.capitalised:
            data["capitalised"] = True
        for option in ("context", "plural", "plural_by"):
            if getattr(self, option):
                data[option] = getattr(self, option)
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Message:
        params = data.get("params")
        if params is not None:
            params = {key: _restored_parameter(value) for key, value in params.items()}
        options = {
            key: data.get(key) if isinstance(data.get(key), str) else None for key in ("context", "plural", "plural_by")
        }
        return cls(str(data["msgid"]), params, capitalised=bool(data.get("capitalised")), **options)


def N_(msgid: str) -> Message:
    """A sentence to be translated when it is shown: `N_("... %(x)s ...") % {"x": ...}`."""
    return Message(msgid)


def _parameter(value: Any) -> Any:
    if isinstance(value, Message | Number | FileSize | ByLanguage):
        return value
    if isinstance(value, list | tuple):
        return [_parameter(item) for item in value]
    if isinstance(value, Promise):
        return from_lazy(value) or str(value)  # a lazy text of Django's (see above)
    if isinstance(value, PLAIN_PARAMETER):
        return value
    return str(value)  # a Decimal, a date: as text, so the message stays plain JSON data


def _shown(value: Any) -> Any:
    """A parameter as the text it is shown as, in the active language."""
    if isinstance(value, list):
        return SEPARATOR.join(str(_shown(item)) for item in value)
    return str(value) if isinstance(value, Message | Number | FileSize | ByLanguage) else value


def _parameter_data(value: Any) -> Any:
    if isinstance(value, Message | Number | FileSize | ByLanguage):
        return value.as_data()
    if isinstance(value, list):
        return [_parameter_data(item) for item in value]
    return value


def _restored_parameter(value: Any) -> Any:
    if is_stored_message(value):
        return Message.from_data(value)
    if _is_stored_number(value):
        return Number(value["number"])
    if isinstance(value, Mapping) and set(value) == {"bytes"} and isinstance(value["bytes"], int):
        return FileSize(value["bytes"])
    if isinstance(value, Mapping) and set(value) == {"by_language"} and isinstance(value["by_language"], Mapping):
        return ByLanguage(tuple((str(code), str(text)) for code, text in value["by_language"].items()))
    if isinstance(value, list):
        return [_restored_parameter(item) for item in value]
    return value


def joined(messages: Iterable[Any]) -> Message:
    """Several sentences (messages, or texts) kept as one message: each is translated when
    shown, and they are shown one after the other."""
    return Message("%(sentences)s", {"sentences": list(messages)})


def listed(items: Iterable[Any]) -> Any:
    """Items (messages, or texts) as a list in words, "A, B and C", each and the "and"
    translated when shown; one item is itself, none is ""."""
    items = list(items)
    if len(items) < 2:
        return items[0] if items else ""
    head = items[0]
    for item in items[1:-1]:
        head = Message("%(first)s, %(next)s", {"first": head, "next": item})  # the same in every language
    return N_("%(first)s and %(last)s") % {"first": head, "last": items[-1]}


LAZY_GETTEXT = translation.gettext
LAZY_PGETTEXT = translation.pgettext
LAZY_NGETTEXT = translation.ngettext
LAZY_NPGETTEXT = translation.npgettext
LAZY_CAPFIRST = getattr(django_text.capfirst, "__wrapped__", None)


def from_lazy(value: Any) -> Message | None:
    """A lazy text of Django's as a Message, when its msgid can be read: `gettext_lazy(msgid)`
    (as Django's own validation messages are made), or `capfirst` of such a text (a model's
    verbose name in them), `pgettext_lazy(context, msgid)` (a choice's label), and
    `ngettext_lazy(singular, plural, "name")` (Django's length messages). None for any other
    value."""
    if not isinstance(value, Promise) or isinstance(value, Message):
        return None
    try:
        reduced = value.__reduce__()[1]
        func, args = reduced[:2]
    except (TypeError, ValueError, IndexError):
        return None
    if func in (LAZY_NGETTEXT, LAZY_NPGETTEXT) and len(reduced) == 4:
        return _plural_from_lazy(func, reduced[2], reduced[3])
    if func is LAZY_GETTEXT and len(args) == 1 and isinstance(args[0], str):
        return Message(args[0])
    if func is LAZY_PGETTEXT and len(args) == 2 and all(isinstance(arg, str) for arg in args):
        return Message(args[1], context=args[0])
    if LAZY_CAPFIRST is not None and func is LAZY_CAPFIRST and len(args) == 1:
        inner = from_lazy(args[0])
        return inner.capitalise() if inner is not None else None
    return None


def _plural_from_lazy(func: Any, count: Any, kwargs: Any) -> Message | None:
    """`ngettext_lazy(singular, plural, "name")`, as Django's length validators make theirs:
    the number that chooses between them is the parameter `name`."""
    if not isinstance(count, str) or not isinstance(kwargs, Mapping):
        return None
    singular, plural = kwargs.get("singular"), kwargs.get("plural")
    if not isinstance(singular, str) or not isinstance(plural, str):
        return None
    context = kwargs.get("context") if func is LAZY_NPGETTEXT else None
    return Message(singular, plural=plural, plural_by=count, context=context if isinstance(context, str) else None)


PLACEHOLDER = re.compile(r"%\((\w+)\)")


def message_with(text: Any, params: Mapping[str, Any] | None = None) -> Message | str:
    """A sentence made elsewhere (a Django validation error's message and params) as a Message
    when it can be: a Message, or a lazy text whose msgid can be read (`from_lazy`); only the
    parameters the sentence uses are kept. Otherwise the text, translated now."""
    message = text if isinstance(text, Message) else from_lazy(text)
    if message is None:
        return str(text % params) if params else str(text)
    if params:
        used = set(PLACEHOLDER.findall(message.msgid + (message.plural or ""))) | {message.plural_by}
        message = message % {key: value for key, value in params.items() if key in used}
    return message


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


def comma_listed(items: Sequence[Any]) -> Message:
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


class MessageField(models.TextField):
    """A sentence for users, stored language-free: a Message is kept as its JSON data (msgid
    and parameters) and read back as a Message, which is translated when shown, in the
    reader's language. A plain text (stored before messages were kept so, or made by code
    that translates at once) is kept and read as it is."""

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, str) and value.startswith('{"msgid"'):
            try:
                data = json.loads(value)
            except ValueError:
                return value
            return Message.from_data(data) if is_stored_message(data) else value
        return super().to_python(value)

    def get_prep_value(self, value):
        if isinstance(value, Message):
            return json.dumps(value.as_data(), ensure_ascii=False)
        return super().get_prep_value(value)
