"""File types by extension, as an item type's setting names them: which are never accepted
(programs and web pages), which a type accepts when its setting is empty, and how a setting
is read and checked. Imports nothing of dossier: the model (ItemType.clean) and the rule
(dossier.attachments) both use it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Programs and web pages: opened, they run code. Refused whatever a setting says.
PROGRAMS = frozenset({"exe", "dll", "com", "bat", "cmd", "msi", "msp", "scr", "pif", "cpl", "app", "jar", "lnk", "reg"})
SCRIPTS = frozenset({"ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "sh"})
WEB_PAGES = frozenset({"html", "htm", "xhtml", "shtml", "mht", "mhtml", "svg"})  # an SVG may hold a script
ALWAYS_REFUSED = PROGRAMS | SCRIPTS | WEB_PAGES

# What an item type accepts when its setting is empty: documents and images.
DOCUMENTS = frozenset({"pdf", "doc", "docx", "odt", "rtf", "txt", "xls", "xlsx", "ods", "csv", "ppt", "pptx", "odp"})
MAIL = frozenset({"eml", "msg", "xml"})
IMAGES = frozenset({"jpg", "jpeg", "png", "gif", "tif", "tiff", "bmp", "heic"})
DOCUMENTS_AND_IMAGES = DOCUMENTS | MAIL | IMAGES


def type_setting(text: str) -> set[str]:
    """An item type's accepted types as written ("pdf, .DOCX; jpg") as a set of extensions."""
    return {t.strip().lower().lstrip(".") for t in text.replace(";", ",").replace(" ", ",").split(",") if t.strip()}


def type_setting_problem(text: str):
    """Why an item type's accepted types cannot be saved (a program or web page, or a word
    that is no extension), or None."""
    types = type_setting(text)
    if refused := sorted(types & ALWAYS_REFUSED):
        return _("Programs and web pages are never accepted: leave out %(types)s.") % {
            "types": ", ".join(f".{t}" for t in refused)
        }
    if odd := sorted(t for t in types if not t.isalnum() or len(t) > 10):
        return _("'%(value)s' is not a file extension: write extensions such as pdf, docx, jpg.") % {"value": odd[0]}
    return None
