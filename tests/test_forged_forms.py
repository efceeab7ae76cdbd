"""No 500 page for any forged form value (issue 14, part 6).

A crawl over every form a user can post: the add and change page of every model registered
in the admin (as the superuser admin and as importeur, a staff user of the demo's group
Dossierbeheer), the wizard's steps and the record-item page. Each form is read from its page
as a browser would send it (every input, select and textarea of the page's form, the
inlines' management forms included); then every field in turn gets a hostile value: not a
number, a number too large for any column, an unknown choice or key, an overlong text, a NUL
character; and the form is sent without its management form data. With DEBUG off
(`raise_request_exception = False`), the answer is a page with the form's own sentence, a
redirect or a 400/403/404: never a 500."""

from __future__ import annotations

import contextlib
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from dossier.models import ItemType
from imports import services
from imports.models import ImportJob
from tests.imports.wizard import SOLL_CSV, start_job, xlsx_bytes

pytestmark = pytest.mark.django_db

# Each field in turn gets the first three; all fields at once get every one.
HOSTILE = ("abc", "99999999999999999999", "a\x00b", "-1", "2025-02-30", "x" * 5000)
EACH_FIELD = HOSTILE[:3]
LATE = ("_save", "_continue", "_addanother", "csrfmiddlewaretoken")


class FormReader(HTMLParser):
    """The fields of a page's main form (not the sign-out form), as a browser sends them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self.current: list[tuple[str, str]] | None = None
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            action = attrs.get("action") or ""
            if "logout" not in action and "/i18n/" not in action and attrs.get("id") != "logout-form":
                self.current = []
                self.radios: dict[str, str] = {}
                self.forms.append(self.current)
            return
        if self.current is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind == "radio":  # the checked one, else the first of the group
                if "checked" in attrs or name not in self.radios:
                    self.radios[name] = attrs.get("value") or ""
                return
            if kind == "checkbox" and "checked" not in attrs:
                return
            if kind in ("file", "button", "image", "reset"):
                return
            if kind == "submit" and name not in ("_save",):
                return
            self.current.append((name, attrs.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self.select, self.options = name, []
            self.multiple = "multiple" in attrs
        elif tag == "option" and self.select is not None:
            self.options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.current is not None:
            self.current.extend(self.radios.items())
            self.current = None
        elif tag == "select" and self.select is not None and self.current is not None:
            chosen = [value for value, selected in self.options if selected]
            if not chosen and self.options and not self.multiple:
                chosen = [self.options[0][0]]
            self.current.extend((self.select, value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None and self.current is not None:
            self.current.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None


def form_of(html: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(html)
    forms = [form for form in reader.forms if form]
    return max(forms, key=len) if forms else []


def as_data(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def forged_posts(fields: list[tuple[str, str]]):
    """(what, data): every field with every hostile value, and the form without its
    management forms."""
    data = as_data(fields)
    forged = [name for name in data if name not in LATE and _first_row(name)]
    for name in forged:
        for value in EACH_FIELD:
            yield f"{name}={value[:20]!r}", {**data, name: [value]}
    for value in HOSTILE:
        yield f"every field={value[:20]!r}", {**data, **{name: [value] for name in forged}}
    if any(name.endswith("-TOTAL_FORMS") for name in data):
        stripped = {n: v for n, v in data.items() if not n.endswith(("-TOTAL_FORMS", "-INITIAL_FORMS"))}
        yield "no management form", stripped
        yield (
            "management form of 1000 forms",
            {
                **data,
                **{n: ["1000"] for n in data if n.endswith("-TOTAL_FORMS")},
            },
        )
    yield "extra forged field", {**data, "id": ["abc"], "pk": ["\x00"], "import_job": ["1; drop"]}


def _first_row(name: str) -> bool:
    """A field of the page's form, or of an inline's first row (the other rows are alike;
    the empty row an inline copies from, __prefix__, is never sent)."""
    parts = name.split("-")
    if "__prefix__" in parts:
        return False
    return not (len(parts) >= 3 and parts[-2].isdigit() and parts[-2] != "0")


def crawl(client, url: str, reset=None) -> list[str]:
    """Post every forged variant of the form at `url`; the variants that ended in a 500."""
    page = client.get(url)
    if page.status_code != 200:
        return []
    fields = form_of(page.text)
    if not fields:
        return []
    failures = []
    for what, data in forged_posts(fields):
        if reset:
            reset()
        response = client.post(url, data)
        if response.status_code >= 500:
            failures.append(f"{url} {what}: {response.status_code}")
    return failures


@pytest.fixture
def quiet(client):
    client.raise_request_exception = False  # as with DEBUG off: the 500 page, not the exception
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def admin_pages() -> list[str]:
    urls = []
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return urls


@pytest.mark.parametrize("username", ["admin", "importeur"])
def test_no_forged_value_on_any_admin_form_ends_in_a_server_error(demo, quiet, username):
    quiet.force_login(User.objects.get(username=username))
    failures = []
    for url in admin_pages():
        failures += crawl(quiet, url)
    assert failures == []


def test_no_forged_value_on_the_record_item_page_ends_in_a_server_error(demo, quiet):
    quiet.force_login(User.objects.get(username="importeur"))
    failures = []
    for code in ItemType.objects.usable_by(User.objects.get(username="importeur")).values_list("code", flat=True):
        failures += crawl(quiet, reverse("dossier:record-item", args=[code]))
    assert failures == []


def test_no_forged_value_on_any_wizard_step_ends_in_a_server_error(demo, quiet):
    importeur = User.objects.get(username="importeur")
    quiet.force_login(importeur)
    failures = crawl(quiet, reverse("imports:new"))
    failures += crawl(quiet, reverse("imports:upload", args=["SOLL"]))
    for query in ("?corrects=abc&profile=zz", "?corrects=" + "9" * 40, "?profile=" + "x" * 5000):
        for response in (
            quiet.get(reverse("imports:upload", args=["SOLL"]) + query),
            quiet.post(reverse("imports:upload", args=["SOLL"]) + query, {"file": "not a file", "attachments": "x"}),
        ):
            if response.status_code >= 500:
                failures.append(f"upload {query[:30]}: {response.status_code}")

    job = start_job(SOLL_CSV)
    uploaded = dict(state=ImportJob.State.UPLOADED, mapping={}, validated_at=None)

    def back_to_the_mapping():
        ImportJob.objects.filter(pk=job.pk).update(**uploaded)

    failures += crawl(quiet, reverse("imports:map", args=[job.pk]), reset=back_to_the_mapping)

    sheets = start_job(
        xlsx_bytes({"A": [["Relatienummer", "Onderwerp"], [10001, "CV"]], "B": [["x"]]}), name="two.xlsx"
    )
    failures += crawl(
        quiet,
        reverse("imports:sheet", args=[sheets.pk]),
        reset=lambda: ImportJob.objects.filter(pk=sheets.pk).update(state=ImportJob.State.UPLOADED),
    )

    checked = start_job(SOLL_CSV)
    services.set_mapping(job=checked, mapping=services.suggest_mapping_for(checked))
    services.validate_import(job=checked)

    def validated_again():
        ImportJob.objects.filter(pk=checked.pk).update(state=ImportJob.State.VALIDATED, items_created=0)

    for step in ("check", "import", "cancel"):
        url = reverse(f"imports:{step}", args=[checked.pk])
        for data in ({"rows": "abc", "again": "\x00"}, {"rows": ["all", "valid"], "again": "9" * 30}, {}):
            validated_again()
            response = quiet.post(url, data)
            if response.status_code >= 500:
                failures.append(f"{url} {data!r}: {response.status_code}")
    assert failures == []
