"""The nl and en translations: the Dutch catalogue is complete and sound, the committed .mo
files match their .po files (a fresh machine needs no gettext), and pages come out in the
language the browser asks for."""

import contextlib
import gettext as gnu_gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
NL_PO = LOCALE / "nl" / "LC_MESSAGES" / "django.po"

# %(name)s, %s, %d, ... and {name}; "%%" is a literal percent sign in python-format strings.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{[^{}]*\}")

# A few messages and their Dutch, from the domain vocabulary (docs: domain.md).
KNOWN_DUTCH = {
    "dossier item type": "type dossieritem",
    "dossier item types": "typen dossieritem",
    "dossier item": "dossieritem",
    "creation profile": "aanmaakprofiel",
    "review profile": "beoordeelprofiel",
    "characteristic combination": "kenmerkcombinatie",
    "free field": "vrij veld",
    "submitter": "instuurder",
    "submit date": "instuurdatum",
    "attach file": "bestand koppelen",
    "outgoing-post choice": "keuze verstrekkingswijze (uitgaande post)",
    "regarding employee": "betreft medewerker",
    "one of these required": "één van deze verplicht",
    "done": "afgehandeld",
    "text": "toelichting",
    "debtor number": "debiteurnummer",
}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _unquote(line: str) -> str:
    """The text of one quoted .po string, with its escapes resolved."""
    text = line.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted string: {line!r}"
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header included, obsolete (#~) entries left out. Enough of
    the format for what makemessages writes: flags, msgctxt, msgid(_plural), msgstr([n])."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = Entry()
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            assert target is not None, f"continuation line without a keyword: {raw!r}"
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + _unquote(line))
        else:
            keyword, _, rest = line.partition(" ")
            if match := re.fullmatch(r"msgstr\[(\d+)\]", keyword):
                target = ("msgstr", int(match.group(1)))
                entry.msgstr[target[1]] = _unquote(rest)
            elif keyword == "msgstr":
                target = ("msgstr", 0)
                entry.msgstr[0] = _unquote(rest)
            elif keyword in ("msgid", "msgid_plural", "msgctxt"):
                target = (keyword, 0)
                setattr(entry, keyword, _unquote(rest))
            else:
                raise AssertionError(f"unknown .po line: {raw!r}")
    return entries


@pytest.fixture(scope="module")
def nl_entries() -> list[Entry]:
    assert NL_PO.exists(), "locale/nl/LC_MESSAGES/django.po is missing: run make messages"
    return parse_po(NL_PO)


@pytest.fixture(scope="module")
def nl_messages(nl_entries) -> list[Entry]:
    return [entry for entry in nl_entries if entry.msgid]


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def test_the_catalogues_exist():
    for language, _name in settings.LANGUAGES:
        assert (LOCALE / language / "LC_MESSAGES" / "django.po").exists(), language
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists(), language


def test_the_dutch_catalogue_has_messages(nl_messages):
    assert len(nl_messages) > 300


def test_every_message_has_a_dutch_translation(nl_messages):
    untranslated = [entry.msgid for entry in nl_messages if not entry.msgstr or not all(entry.msgstr.values())]
    assert untranslated == [], "fill these msgstr in locale/nl/LC_MESSAGES/django.po"


def test_no_dutch_translation_is_fuzzy(nl_entries):
    fuzzy = [entry.msgid for entry in nl_entries if "fuzzy" in entry.flags]
    assert fuzzy == [], "check these translations and drop their fuzzy flag"


def test_the_dutch_addresses_the_user_as_u_like_djangos_admin(nl_messages):
    informal = re.compile(r"\b(je|jij|jou|jouw)\b", re.IGNORECASE)
    found = [e.msgid for e in nl_messages for text in e.msgstr.values() if informal.search(text)]
    assert found == []


def test_placeholders_are_kept(nl_messages):
    wrong = []
    for entry in nl_messages:
        for index, text in entry.msgstr.items():
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            if _placeholders(text) != _placeholders(source):
                wrong.append((source, text))
    assert wrong == []


def test_the_placeholder_pattern_sees_every_kind():
    assert _placeholders("%(name)s has %s and {number}, 100%%") == Counter(["%(name)s", "%s", "{number}"])


def test_the_parser_reads_plurals_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: nl\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s row"\nmsgid_plural "%(n)s rows"\n'
        'msgstr[0] "%(n)s rij"\nmsgstr[1] ""\n"%(n)s rijen"\n\n'
        '#~ msgid "gone"\n#~ msgstr "weg"\n',
        encoding="utf-8",
    )
    header, plural = parse_po(po)
    assert header.msgstr == {0: "Language: nl\n"}
    assert plural.msgid_plural == "%(n)s rows"
    assert plural.msgstr == {0: "%(n)s rij", 1: "%(n)s rijen"}
    assert plural.flags == {"fuzzy", "python-format"}


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_committed_mo_matches_its_po(language):
    """What gettext reads (.mo) is what the translators wrote (.po): run make messages after
    editing a .po file. Checked without msgfmt, so it also runs where gettext is missing."""
    directory = LOCALE / language / "LC_MESSAGES"
    expected = {}
    for entry in parse_po(directory / "django.po"):
        if not entry.msgid or "fuzzy" in entry.flags or not all(entry.msgstr.values()):
            continue  # the header (checked apart), and what msgfmt leaves out: fuzzy, untranslated
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            expected.update({(entry.key, index): text for index, text in entry.msgstr.items()})
    with (directory / "django.mo").open("rb") as mo:
        compiled = dict(gnu_gettext.GNUTranslations(mo)._catalog)
    compiled.pop("", None)
    assert compiled == expected, f"locale/{language}/LC_MESSAGES/django.mo is stale: run make messages"


@pytest.mark.parametrize(("msgid", "dutch"), KNOWN_DUTCH.items())
def test_gettext_speaks_dutch(msgid, dutch):
    with translation.override("nl"):
        assert translation.gettext(msgid) == dutch


def test_gettext_keeps_english_for_en():
    with translation.override("en"):
        assert translation.gettext("dossier item type") == "dossier item type"


def test_model_names_follow_the_language():
    from dossier.models import ItemType

    with translation.override("nl"):
        assert str(ItemType._meta.verbose_name_plural) == "typen dossieritem"
    with translation.override("en"):
        assert str(ItemType._meta.verbose_name_plural) == "dossier item types"


def test_a_dutch_error_message_keeps_its_values():
    from dossier.spec import unknown_relation_message

    message = unknown_relation_message("12345", None)
    with translation.override("nl"):
        assert str(message) == (
            "Er is geen organisatie/persoon met nummer 12345. "
            "Gebruik een bestaand relatienummer (geen medewerker- of debiteurnummer)."
        )
    assert str(message).startswith("There is no organisation/person with number 12345.")


@pytest.mark.parametrize(
    ("accept_language", "present", "absent"),
    [
        ("nl", ["Typen dossieritem", "Aanmaakprofielen", "Beoordeeltaken"], ["Dossier item types"]),
        ("en", ["Dossier item types", "Creation profiles", "Review tasks"], ["Typen dossieritem"]),
    ],
)
def test_the_admin_speaks_the_browsers_language(client, root, accept_language, present, absent):
    client.force_login(root)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE=accept_language)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == accept_language
    page = response.content.decode()
    for text in present:
        assert text in page
    for text in absent:
        assert text not in page


def test_the_record_page_speaks_dutch(client, root):
    client.force_login(root)
    response = client.get("/admin/items/record/", HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dossieritem vastleggen" in page
    assert "Record a dossier item" not in page


# --- Dutch for third-party strings (locale-overrides/) ----------------------------------------

OVERRIDES = Path(settings.BASE_DIR) / "locale-overrides" / "nl" / "LC_MESSAGES"
DJANGO = Path(translation.__file__).resolve().parents[2]  # django/utils/translation/ -> django/
IMPORT_EXPORT = DJANGO.parent / "import_export"
THIRD_PARTY_NL = [
    DJANGO / "contrib" / "admin" / "locale" / "nl" / "LC_MESSAGES" / "django.po",
    DJANGO / "conf" / "locale" / "nl" / "LC_MESSAGES" / "django.po",
    IMPORT_EXPORT / "locale" / "nl" / "LC_MESSAGES" / "django.po",
]


def test_locale_overrides_come_after_our_own_catalogue():
    """makemessages writes into the first of LOCALE_PATHS: that must be locale/."""
    assert [Path(p).name for p in settings.LOCALE_PATHS] == ["locale", "locale-overrides"]


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_overrides_are_complete_and_compiled(domain):
    entries = [entry for entry in parse_po(OVERRIDES / f"{domain}.po") if entry.msgid]
    assert entries
    assert [e.msgid for e in entries if "fuzzy" in e.flags or not all(e.msgstr.values())] == []
    wrong = [e.msgid for e in entries for text in e.msgstr.values() if _placeholders(text) != _placeholders(e.msgid)]
    assert wrong == []
    with (OVERRIDES / f"{domain}.mo").open("rb") as mo:
        compiled = dict(gnu_gettext.GNUTranslations(mo)._catalog)
    compiled.pop("", None)
    expected = {}
    for entry in entries:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            expected.update({(entry.key, index): text for index, text in entry.msgstr.items()})
    assert compiled == expected, f"locale-overrides/nl/LC_MESSAGES/{domain}.mo is stale: run make messages"


def test_the_overrides_are_only_strings_the_third_party_catalogues_lack():
    """Only what Django and django-import-export leave untranslated or fuzzy; their own
    Dutch is not replaced."""
    lacking = set()
    for po in THIRD_PARTY_NL:
        lacking |= {e.msgid for e in parse_po(po) if e.msgid and ("fuzzy" in e.flags or not all(e.msgstr.values()))}
    ours = {e.msgid for e in parse_po(OVERRIDES / "django.po") if e.msgid}
    assert ours - lacking == set()


def _lacking_english_fragments() -> dict[str, list[str]]:
    """For each msgid the third-party Dutch catalogues lack, its literal English pieces long
    enough to recognise on a page."""
    found: dict[str, list[str]] = {}
    for po in THIRD_PARTY_NL:
        for entry in parse_po(po):
            if not entry.msgid or not ("fuzzy" in entry.flags or not all(entry.msgstr.values())):
                continue
            pieces = [p.strip() for p in PLACEHOLDER.split(entry.msgid) if len(p.strip()) >= 6]
            if pieces:
                found[entry.msgid] = pieces
    return found


def _dutch_pages(client) -> dict[str, str]:
    """Every admin list, add, change and delete page of the demo world, plus the import and
    export pages, as text, in Dutch."""
    import html

    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        if obj := model._default_manager.order_by("pk").first():
            urls += [reverse(f"{prefix}_{view}", args=[obj.pk]) for view in ("change", "delete", "history")]
        for view in ("import", "export"):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(f"{prefix}_{view}"))
    pages = {}
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="nl")
        if response.status_code == 200 and response.headers["Content-Type"].startswith("text/html"):
            pages[url] = html.unescape(response.content.decode())
    return pages


def test_no_page_shows_english_that_the_third_party_catalogues_lack_in_dutch(client, demo):
    from accounts.models import User

    client.force_login(User.objects.get(username="admin"))
    lacking = _lacking_english_fragments()
    pages = _dutch_pages(client)
    assert len(pages) > 50

    patterns = {
        msgid: re.compile("|".join(rf"(?<!\w){re.escape(p)}(?!\w)" for p in pieces))
        for msgid, pieces in lacking.items()
    }
    english = sorted(
        {(msgid, url) for url, page in pages.items() for msgid, pattern in patterns.items() if pattern.search(page)}
    )
    assert english == [], "give these Dutch in locale-overrides/nl/LC_MESSAGES/django.po"


@pytest.fixture
def dutch_root(client, root):
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    return client


def test_the_delete_pages_speak_dutch(dutch_root):
    from django.urls import reverse

    from tests.factories import ContactFactory, OrganisationFactory, RelationFactory

    acme, jan = OrganisationFactory(number="20001", name="Acme"), RelationFactory(number="10001", name="Jan")
    ContactFactory(contact_id="30001", organisation=acme, person=jan)
    loose = RelationFactory(number="10002", name="Piet")

    protected = dutch_root.get(reverse("admin:dossier_relation_delete", args=[acme.pk])).text
    free = dutch_root.get(reverse("admin:dossier_relation_delete", args=[loose.pk])).text

    assert "vereist het verwijderen van de volgende beschermde gerelateerde objecten:" in protected
    assert "would require deleting" not in protected
    assert "Weet u zeker dat u organisatie/persoon" in free
    assert "Are you sure" not in free


def test_the_lists_label_their_search_and_pages_in_dutch(dutch_root):
    from django.urls import reverse

    page = dutch_root.get(reverse("admin:dossier_relation_changelist")).text

    assert "organisaties/personen doorzoeken" in page
    assert 'alt="Zoeken"' in page
    assert "Search organisaties" not in page
    with translation.override("nl"):  # the list's pages: only shown past list_per_page rows
        assert translation.gettext("Pagination %(name)s") == "Paginering van %(name)s"


def test_the_export_page_names_the_fields_in_dutch(dutch_root):
    from django.urls import reverse

    page = dutch_root.get(reverse("admin:dossier_relation_export")).text

    for label in ("Nummer", "Soort (kind)", "Naam (name)", "Actief (is_active)", "Alles selecteren"):
        assert label in page, label
    assert "Is Active" not in page and "Select all" not in page


def test_an_export_without_fields_is_refused_in_dutch(dutch_root, settings):
    from django.urls import reverse

    from dossier.models import Relation

    format_index = next(
        str(i) for i, fmt in enumerate(admin_formats(Relation, exporting=True)) if fmt().get_title() == "csv"
    )

    response = dutch_root.post(reverse("admin:dossier_relation_export"), {"format": format_index, "resource": "0"})

    assert "Kies ten minste 1 veld van &quot;RelationResource&quot; om te exporteren" in response.content.decode()


def admin_formats(model, *, exporting: bool = False):
    from django.contrib import admin

    model_admin = admin.site._registry[model]
    return model_admin.get_export_formats() if exporting else model_admin.get_import_formats()


def test_an_import_says_what_it_did_in_dutch(dutch_root):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from dossier.models import Relation

    csv_index = next(str(i) for i, fmt in enumerate(admin_formats(Relation)) if fmt().get_title() == "csv")
    empty = dutch_root.post(
        reverse("admin:dossier_relation_import"),
        {"format": csv_index, "import_file": SimpleUploadedFile("r.csv", b"number,kind,name\n")},
    )
    preview = dutch_root.post(
        reverse("admin:dossier_relation_import"),
        {
            "format": csv_index,
            "import_file": SimpleUploadedFile("r.csv", b"number,kind,name\n20001,organisatie,Acme\n"),
        },
    )
    done = dutch_root.post(
        reverse("admin:dossier_relation_process_import"), preview.context["confirm_form"].initial, follow=True
    )

    assert "Geen geldige gegevens om te importeren." in empty.content.decode()
    assert "Import klaar: 1 nieuw, 0 bijgewerkt, 0 verwijderd en 0 overgeslagen organisaties/personen." in done.text
    assert Relation.objects.get(number="20001").kind == Relation.Kind.ORGANISATION


def test_the_admins_javascript_catalogue_carries_the_dutch_of_the_overrides(dutch_root):
    """The date and time widgets' words (Django's djangojs catalogue lacks them in Dutch)."""
    from django.urls import reverse

    catalogue = dutch_root.get(reverse("admin:jsi18n")).content.decode()

    for entry in parse_po(OVERRIDES / "djangojs.po"):
        for text in entry.msgstr.values() if entry.msgid else ():
            assert f'"{text}"' in catalogue, text
