"""Master data files: relations, contacts, roles and extras keyed by natural keys; an import
either stores every row or none."""

import re

import pytest
import tablib
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from dossier import models
from dossier.resources import (
    ContactResource,
    EmployeeResource,
    ProjectResource,
    RelationResource,
    SalesRelationResource,
)
from tests.factories import (
    ContactFactory,
    EmployeeFactory,
    OrganisationFactory,
    ProjectFactory,
    RelationFactory,
    SalesRelationFactory,
)

RELATIONS_CSV = """number,kind,name,email,city,is_active
20001,organisation,Acme,info@acme.example,Utrecht,1
10001,person,Jan Jansen,,Amersfoort,1
"""


def csv(text: str) -> tablib.Dataset:
    return tablib.Dataset().load(text, format="csv")


def row_messages(result) -> list[str]:
    return [message for row in result.invalid_rows for messages in row.error_dict.values() for message in messages]


@pytest.fixture
def acme_and_jan(db):
    return OrganisationFactory(number="20001", name="Acme"), RelationFactory(number="10001", name="Jan Jansen")


def test_it_exports_relations_with_their_numbers(db):
    OrganisationFactory(number="20001", name="Acme")
    RelationFactory(number="10001", name="Jan Jansen")

    exported = RelationResource().export().csv

    header, *rows = exported.splitlines()
    assert header == (
        "number,kind,name,email,city,is_active,blocked,employee_number,debtor_number,creditor_number,applicant_number"
    )
    assert rows[0].startswith("10001,person,Jan Jansen")
    assert rows[1].startswith("20001,organisation,Acme")


def test_it_blocks_and_unblocks_relations_from_a_file_and_exports_the_flag(acme_and_jan):
    result = RelationResource().import_data(
        csv("number,kind,name,blocked\n20001,organisation,Acme,ja\n10001,person,Jan Jansen,nee\n")
    )

    assert not result.has_errors() and not result.has_validation_errors()
    assert models.Relation.objects.get(number="20001").blocked is True
    assert models.Relation.objects.get(number="10001").blocked is False
    exported = RelationResource().export().csv.splitlines()
    assert exported[2].startswith("20001,organisation,Acme,,,1,1,")
    RelationResource().import_data(csv(RELATIONS_CSV))  # a file without the column leaves it alone
    assert models.Relation.objects.get(number="20001").blocked is True
    RelationResource().import_data(csv("nummer,Geblokkeerd\n20001,nee\n"))  # in Dutch
    assert models.Relation.objects.get(number="20001").blocked is False


def test_it_exports_contacts_naming_organisation_and_person_by_number(acme_and_jan):
    acme, jan = acme_and_jan
    ContactFactory(contact_id="30001", organisation=acme, person=jan, function="Buyer")

    exported = ContactResource().export().csv

    assert exported.splitlines()[1] == "30001,20001,10001,Buyer,"


def test_it_creates_relations_from_a_file(db):
    result = RelationResource().import_data(csv(RELATIONS_CSV))

    assert not result.has_errors() and not result.has_validation_errors()
    acme = models.Relation.objects.get(number="20001")
    assert (acme.kind, acme.name, acme.city, acme.is_active) == ("organisation", "Acme", "Utrecht", True)
    assert models.Relation.objects.get(number="10001").kind == models.Relation.Kind.PERSON


def test_it_updates_relations_on_a_second_import_instead_of_duplicating_them(db):
    RelationResource().import_data(csv(RELATIONS_CSV))

    again = RelationResource().import_data(csv(RELATIONS_CSV))
    changed = RelationResource().import_data(csv(RELATIONS_CSV.replace("Jan Jansen", "Jan Janssen")))

    assert models.Relation.objects.count() == 2
    assert [row.import_type for row in again.rows] == ["skip", "skip"]
    assert [row.import_type for row in changed.rows] == ["skip", "update"]
    assert models.Relation.objects.get(number="10001").name == "Jan Janssen"


def test_it_refuses_a_relation_of_an_unknown_kind_and_stores_no_row(db):
    text = RELATIONS_CSV + "10002,company,Piet,,,1\n"

    result = RelationResource().import_data(csv(text))

    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [4]  # the header is row 1
    assert not models.Relation.objects.exists()


def test_it_links_imported_contacts_to_organisation_and_person_by_relation_number(acme_and_jan):
    acme, jan = acme_and_jan
    text = "contact_id,organisation,person,function,email\n30001,20001,10001,Buyer,jan@acme.example\n"

    result = ContactResource().import_data(csv(text))

    assert not result.has_errors() and not result.has_validation_errors()
    contact = models.Contact.objects.get(contact_id="30001")
    assert (contact.organisation, contact.person, contact.function) == (acme, jan, "Buyer")


def test_it_reports_a_contact_naming_an_unknown_relation_and_stores_nothing(acme_and_jan):
    text = "contact_id,organisation,person\n30001,20001,10001\n30002,29999,10001\n"

    result = ContactResource().import_data(csv(text))

    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [3]  # the header is row 1
    assert row_messages(result) == [
        "Row 3, column B (organisation): There is no organisation/person with number 29999. "
        "Use an existing relation number (not an employee or debtor number)."
    ]
    assert not models.Contact.objects.exists()  # the valid first row is not half-written


def test_it_says_which_relation_number_to_use_when_a_file_names_a_role_number(acme_and_jan):
    acme, _jan = acme_and_jan
    SalesRelationFactory(relation=acme, number="D20001")
    text = "contact_id,organisation,person\n30001,D20001,10001\n"

    result = ContactResource().import_data(csv(text))

    assert row_messages(result) == [
        "Row 2, column B (organisation): "
        "D20001 is the debtor number of Acme, not a relation number. Use relation number 20001 instead."
    ]


def test_it_refuses_a_person_as_the_organisation_of_a_contact(acme_and_jan):
    text = "contact_id,organisation,person\n30001,10001,10001\n"

    result = ContactResource().import_data(csv(text))

    assert row_messages(result) == [
        "Row 2, column B (organisation): "
        "10001 Jan Jansen is a person, not an organisation: use the number of an organisation."
    ]
    assert not models.Contact.objects.exists()


def test_it_reads_relation_numbers_that_a_spreadsheet_made_numeric(acme_and_jan):
    dataset = tablib.Dataset(headers=["contact_id", "organisation", "person"])
    dataset.append([30001, 20001.0, 10001])

    result = ContactResource().import_data(dataset)

    assert not result.has_validation_errors()
    assert models.Contact.objects.get(contact_id="30001").organisation.number == "20001"


def test_it_imports_roles_naming_their_relation_by_number(acme_and_jan):
    result = EmployeeResource().import_data(csv("number,relation\nE0001,10001\n"))
    sales = SalesRelationResource().import_data(csv("number,relation\nD20001,20001\n"))

    assert not result.has_validation_errors() and not sales.has_validation_errors()
    assert models.Employee.objects.get(number="E0001").relation.number == "10001"
    assert models.SalesRelation.objects.get(number="D20001").relation.number == "20001"


def test_it_refuses_a_second_role_of_the_same_kind_for_one_relation(db):
    EmployeeFactory(relation=RelationFactory(number="10001"), number="E0001")

    result = EmployeeResource().import_data(csv("number,relation\nE0002,10001\n"))

    assert result.has_validation_errors()
    assert list(models.Employee.objects.values_list("number", flat=True)) == ["E0001"]


def test_it_updates_extras_by_code(db):
    ProjectFactory(code="PRJ-001", name="Old name")

    ProjectResource().import_data(csv("code,name,is_active\nPRJ-001,New name,1\nPRJ-002,Second,0\n"))

    assert dict(models.Project.objects.values_list("code", "name")) == {"PRJ-001": "New name", "PRJ-002": "Second"}
    assert models.Project.objects.get(code="PRJ-002").is_active is False


def test_it_imports_its_own_export_without_changes(acme_and_jan):
    acme, jan = acme_and_jan
    ContactFactory(contact_id="30001", organisation=acme, person=jan)
    exported = ContactResource().export()

    result = ContactResource().import_data(csv(exported.csv))

    assert [row.import_type for row in result.rows] == ["skip"]
    assert models.Contact.objects.count() == 1


def test_it_exports_the_role_numbers_of_each_relation_in_a_fixed_number_of_queries(
    acme_and_jan, django_assert_num_queries
):
    acme, jan = acme_and_jan
    SalesRelationFactory(relation=acme, number="D20001")
    models.PurchaseRelation.objects.create(relation=acme, number="C20001")
    EmployeeFactory(relation=jan, number="E0001")
    models.Applicant.objects.create(relation=jan, number="S0001")
    for number in range(10002, 10012):
        EmployeeFactory(relation=RelationFactory(number=str(number)), number=f"E{number}")

    with django_assert_num_queries(1):
        exported = RelationResource().export()

    by_number = {row["number"]: row for row in exported.dict}
    assert [by_number["20001"][c] for c in ROLE_COLUMNS] == ["", "D20001", "C20001", ""]
    assert [by_number["10001"][c] for c in ROLE_COLUMNS] == ["E0001", "", "", "S0001"]


ROLE_COLUMNS = ["employee_number", "debtor_number", "creditor_number", "applicant_number"]


def test_it_gives_relations_the_role_numbers_of_the_file(db):
    text = (
        "number,kind,name,employee_number,debtor_number,creditor_number,applicant_number\n"
        "20001,organisatie,Acme,,D20001,C20001,\n"
        "10001,persoon,Jan,E0001,,,S0001\n"
    )

    result = RelationResource().import_data(csv(text))

    assert not result.has_validation_errors() and not result.has_errors()
    assert models.SalesRelation.objects.get(number="D20001").relation.number == "20001"
    assert models.PurchaseRelation.objects.get(number="C20001").relation.number == "20001"
    assert models.Employee.objects.get(number="E0001").relation.number == "10001"
    assert models.Applicant.objects.get(number="S0001").relation.number == "10001"
    assert not models.Employee.objects.filter(relation__number="20001").exists()


def test_it_renumbers_a_role_and_leaves_a_role_with_an_empty_cell_as_it_is(acme_and_jan):
    acme, jan = acme_and_jan
    SalesRelationFactory(relation=acme, number="D20001")
    EmployeeFactory(relation=jan, number="E0001")
    text = (
        "number,kind,name,employee_number,debtor_number\n20001,organisation,Acme,,D29999\n10001,person,Jan Jansen,,\n"
    )

    result = RelationResource().import_data(csv(text))

    assert [row.import_type for row in result.rows] == ["update", "skip"]
    assert list(models.SalesRelation.objects.values_list("relation__number", "number")) == [("20001", "D29999")]
    assert list(models.Employee.objects.values_list("relation__number", "number")) == [("10001", "E0001")]


def test_it_refuses_a_role_number_another_relation_holds_and_stores_no_row(acme_and_jan):
    acme, _jan = acme_and_jan
    SalesRelationFactory(relation=acme, number="D20001")
    text = "number,kind,name,debtor_number\n10002,person,Piet,\n10001,person,Jan,D20001\n"

    result = RelationResource().import_data(csv(text))

    assert row_messages(result) == [
        "Row 3, column D (debtor_number): D20001 is already the debtor number of 20001 Acme: "
        "a number belongs to one relation."
    ]
    assert not models.Relation.objects.filter(number="10002").exists()
    assert list(models.SalesRelation.objects.values_list("relation__number", flat=True)) == ["20001"]


def test_it_refuses_one_role_number_for_two_relations_of_one_file(db):
    text = "number,kind,name,employee_number\n10001,person,Jan,E0001\n10002,person,Piet,E0001\n"

    result = RelationResource().import_data(csv(text))

    assert [row.number for row in result.invalid_rows] == [3]
    assert not models.Relation.objects.exists() and not models.Employee.objects.exists()


def test_it_refuses_a_role_number_longer_than_a_role_number_may_be(db):
    result = RelationResource().import_data(csv(f"number,kind,name,applicant_number\n10001,person,Jan,{'S' * 21}\n"))

    assert row_messages(result) == [
        f"Row 2, column D (applicant_number): '{'S' * 21}' is longer than 20 characters: shorten it."
    ]


def test_it_reads_role_number_columns_named_in_dutch(db):
    text = "nummer,soort,naam,medewerkernummer,debiteurnummer,crediteurnummer,sollicitantnummer\n10001,persoon,Jan,E1,D1,C1,S1\n"

    result = RelationResource().import_data(csv(text))

    assert not result.has_validation_errors() and not result.has_errors()
    jan = models.Relation.objects.get(number="10001")
    assert (jan.employee.number, jan.sales_relation.number, jan.purchase_relation.number, jan.applicant.number) == (
        "E1",
        "D1",
        "C1",
        "S1",
    )


def test_an_exported_relations_file_with_roles_imports_again_unchanged_and_edited(acme_and_jan):
    acme, jan = acme_and_jan
    SalesRelationFactory(relation=acme, number="D20001")
    EmployeeFactory(relation=jan, number="E0001")
    with translation.override("nl"):
        exported = RelationResource().export().csv

    again = RelationResource().import_data(csv(exported))
    edited = RelationResource().import_data(csv(exported.replace("D20001", "D20002")))

    assert [row.import_type for row in again.rows] == ["skip", "skip"]
    assert [row.import_type for row in edited.rows] == ["skip", "update"]
    assert models.SalesRelation.objects.get().number == "D20002"


# --- through the admin ---------------------------------------------------------------------


def format_index(model, title: str, *, exporting: bool = False) -> str:
    model_admin = admin.site._registry[model]
    formats = model_admin.get_export_formats() if exporting else model_admin.get_import_formats()
    return str(next(i for i, fmt in enumerate(formats) if fmt().get_title() == title))


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_it_imports_relations_through_the_admin_after_confirmation(root_client):
    upload = SimpleUploadedFile("relations.csv", RELATIONS_CSV.encode(), content_type="text/csv")

    preview = root_client.post(
        reverse("admin:dossier_relation_import"),
        {"format": format_index(models.Relation, "csv"), "import_file": upload},
    )

    assert preview.status_code == 200
    assert not models.Relation.objects.exists()  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    response = root_client.post(reverse("admin:dossier_relation_process_import"), confirm.initial)

    assert response.status_code == 302
    assert set(models.Relation.objects.values_list("number", flat=True)) == {"20001", "10001"}


def test_it_shows_row_errors_in_the_admin_and_offers_no_confirmation(root_client, acme_and_jan):
    text = "contact_id,organisation,person\n30001,20001,10001\n30002,29999,10001\n"
    upload = SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")

    preview = root_client.post(
        reverse("admin:dossier_contact_import"), {"format": format_index(models.Contact, "csv"), "import_file": upload}
    )

    assert preview.status_code == 200
    assert "There is no organisation/person with number 29999." in preview.text
    assert "confirm_form" not in preview.context
    assert not models.Contact.objects.exists()


def test_it_exports_relations_through_the_admin(root_client, db):
    OrganisationFactory(number="20001", name="Acme")
    fields = {f"relationresource_{name}": "on" for name in ("number", "kind", "name")}

    response = root_client.post(
        reverse("admin:dossier_relation_export"),
        {"format": format_index(models.Relation, "csv", exporting=True), "resource": "0", **fields},
    )

    assert response.status_code == 200
    assert response.content.decode().splitlines() == ["number,kind,name", "20001,organisation,Acme"]


def test_it_exports_role_numbers_through_the_admin_with_their_names_on_the_page(root_client, acme_and_jan):
    acme, _jan = acme_and_jan
    SalesRelationFactory(relation=acme, number="D20001")
    fields = {f"relationresource_{name}": "on" for name in ("number", "debtor_number")}

    page = root_client.get(reverse("admin:dossier_relation_export"))
    response = root_client.post(
        reverse("admin:dossier_relation_export"),
        {"format": format_index(models.Relation, "csv", exporting=True), "resource": "0", **fields},
    )

    assert "Debtor number" in page.text and "Employee number" in page.text
    assert response.content.decode().splitlines() == ["number,debtor_number", "10001,", "20001,D20001"]


def test_it_imports_role_numbers_through_the_admin_after_confirmation(root_client):
    text = "nummer;soort;naam;debiteurnummer\n20001;Organisatie;Acme;D20001\n"
    upload = SimpleUploadedFile("relaties.csv", text.encode(), content_type="text/csv")

    preview = root_client.post(
        reverse("admin:dossier_relation_import"),
        {"format": format_index(models.Relation, "csv"), "import_file": upload},
    )
    assert not models.SalesRelation.objects.exists()  # the preview is a dry run
    root_client.post(reverse("admin:dossier_relation_process_import"), preview.context["confirm_form"].initial)

    assert models.SalesRelation.objects.get().relation.number == "20001"


def test_a_row_problem_in_the_admin_names_the_files_row(root_client):
    text = "number,kind,name\n20001,organisation,Acme\n10001,company,Jan\n"
    upload = SimpleUploadedFile("relations.csv", text.encode(), content_type="text/csv")

    preview = root_client.post(
        reverse("admin:dossier_relation_import"),
        {"format": format_index(models.Relation, "csv"), "import_file": upload},
    )

    assert [row.number for row in preview.context["result"].invalid_rows] == [3]
    assert "Row 3, column B (kind): &#x27;company&#x27; is not one of the allowed values" in preview.text
    assert not models.Relation.objects.exists()


MASTER_DATA = [
    models.Relation,
    models.Contact,
    models.Employee,
    models.SalesRelation,
    models.PurchaseRelation,
    models.Applicant,
    models.Project,
    models.Course,
]


@pytest.mark.parametrize("model", MASTER_DATA, ids=lambda model: model._meta.model_name)
def test_it_offers_import_and_export_pages_for_master_data(root_client, model):
    name = f"admin:dossier_{model._meta.model_name}"

    listing = root_client.get(reverse(f"{name}_changelist"))

    assert reverse(f"{name}_import") in listing.text
    assert reverse(f"{name}_export") in listing.text
    assert root_client.get(reverse(f"{name}_import")).status_code == 200
    assert root_client.get(reverse(f"{name}_export")).status_code == 200


# --- The Import button reads through the guarded readers (issue 7, part 3) ----------------


def post_import(client, model, name: str, content: bytes, title: str):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(
        reverse(f"admin:dossier_{model._meta.model_name}_import"),
        {"format": format_index(model, title), "import_file": upload},
    )


def assert_told(response, message: str) -> None:
    """One sentence for the user on the page, no traceback or server path, nothing stored."""
    assert response.status_code == 200
    assert message in response.text
    assert "Traceback" not in response.text
    assert "site-packages" not in response.text and "/work/" not in response.text
    assert "confirm_form" not in response.context
    assert not models.Relation.objects.exists()


def xlsx_bytes(rows) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_it_imports_relations_from_an_xlsx_through_the_guarded_reader(root_client):
    content = xlsx_bytes([["number", "kind", "name"], [20001, "organisation", "Acme"], ["10001", "person", "Jan"]])

    preview = post_import(root_client, models.Relation, "relations.xlsx", content, "xlsx")
    response = root_client.post(
        reverse("admin:dossier_relation_process_import"), preview.context["confirm_form"].initial
    )

    assert response.status_code == 302
    assert set(models.Relation.objects.values_list("number", "name")) == {("20001", "Acme"), ("10001", "Jan")}


def test_it_refuses_a_zip_bomb_xlsx_before_unpacking_it(root_client, tmp_path):
    import io
    import zipfile

    stream = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([["number", "kind", "name"]])))
    with source, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        bomb.writestr("xl/media/padding.bin", b"\0" * 20_000_000)  # 20 MB packed into ~20 kB

    response = post_import(root_client, models.Relation, "bomb.xlsx", stream.getvalue(), "xlsx")

    assert_told(response, "packed suspiciously tight")


def test_it_refuses_a_damaged_xlsx_with_a_sentence_and_keeps_no_copy(root_client, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the stored copy goes
    content = xlsx_bytes([["number", "kind", "name"], [20001, "organisation", "Acme"]])

    response = post_import(root_client, models.Relation, "damaged.xlsx", content[: len(content) // 2], "xlsx")

    assert_told(response, "&#x27;damaged.xlsx&#x27; is not a valid Excel file")
    assert [path.name for path in tmp_path.iterdir() if path.is_file()] == []


def test_it_names_a_missing_key_column_instead_of_showing_a_traceback(root_client):
    response = post_import(root_client, models.Relation, "relations.csv", b"name,kind\nAcme,organisation\n", "csv")

    assert_told(response, "The file has no column number; add it with a value on every row.")


def test_it_refuses_a_file_that_is_not_of_the_chosen_format(root_client):
    response = post_import(root_client, models.Relation, "relations.pdf", b"%PDF-1.4 not a table", "csv")

    assert_told(response, "&#x27;relations.pdf&#x27; is not a csv file: choose the format that matches the file.")


def test_it_refuses_an_xlsx_sent_as_csv_without_reading_it_as_text(root_client):
    content = xlsx_bytes([["number", "kind", "name"], [20001, "organisation", "Acme"]])

    response = post_import(root_client, models.Relation, "relations.csv", content, "csv")

    assert_told(response, "is not a text (CSV) file")


def test_it_refuses_an_empty_file(root_client):
    response = post_import(root_client, models.Relation, "relations.csv", b"", "csv")

    assert response.status_code == 200
    assert "The submitted file is empty." in response.text  # Django's own form check
    assert not models.Relation.objects.exists()


def test_it_refuses_a_file_of_only_blank_lines(root_client):
    response = post_import(root_client, models.Relation, "relations.csv", b"\n\n;;\n", "csv")

    assert_told(response, "holds no data")


def test_it_refuses_a_file_larger_than_the_import_allows(root_client, settings):
    settings.IMPORT_MAX_FILE_SIZE = 2**20

    response = post_import(root_client, models.Relation, "relations.csv", b"number\n" + b"1\n" * 2**20, "csv")

    assert_told(response, "at most 1 MB can be imported")


def test_it_refuses_more_rows_than_the_limit(root_client, settings):
    settings.MASTER_DATA_IMPORT_MAX_ROWS = 2
    content = b"number,kind,name\n" + b"".join(b"2000%d,organisation,Org %d\n" % (i, i) for i in range(3))

    response = post_import(root_client, models.Relation, "relations.csv", content, "csv")

    assert_told(response, "has more than 2 rows; split it into smaller files.")


def test_it_refuses_a_csv_with_an_unterminated_quote(root_client):
    content = b'number,kind,name\n20001,organisation,"Acme\n20002,organisation,Beta\n'

    response = post_import(root_client, models.Relation, "relations.csv", content, "csv")

    assert_told(response, "Row 2, column C: a quote")


@pytest.mark.parametrize("step", ["before_import", "save_instance"])
def test_it_shows_a_general_sentence_for_an_unexpected_error(root_client, monkeypatch, step):
    def broken(*args, **kwargs):
        raise RuntimeError("/srv/secret/path exploded")

    monkeypatch.setattr(RelationResource, step, broken)

    response = post_import(root_client, models.Relation, "relations.csv", RELATIONS_CSV.encode(), "csv")

    assert_told(response, "The import stopped on an unexpected error and stored nothing.")
    assert "/srv/secret/path" not in response.text


# --- Names given twice and values that cannot be read (outside tester, issue 7) -----------


@pytest.mark.parametrize(
    ("model", "content", "message"),
    [
        (
            models.Relation,
            b"number;kind;name;name\n10001;person;A;B\n",
            "The column name &#x27;name&#x27; is given more than once (columns C, D): remove or rename one of them.",
        ),
        (
            models.Project,
            b"code;name;name\nPRJ-001;A;B\n",
            "The column name &#x27;name&#x27; is given more than once (columns B, C): remove or rename one of them.",
        ),
    ],
)
def test_it_refuses_a_column_name_given_twice_naming_the_columns(root_client, model, content, message):
    response = post_import(root_client, model, "twice.csv", content, "csv")

    assert_told(response, message)
    assert not model.objects.exists()


def test_it_refuses_a_yes_no_value_it_cannot_read_instead_of_taking_it_for_no(db):
    RelationFactory(number="10001", name="X", is_active=True)

    result = RelationResource().import_data(csv("number,kind,name,is_active\n10001,person,X,misschien\n"))

    assert row_messages(result) == [
        "Row 2, column D (is_active): 'misschien' is not yes or no. Write ja or nee (also accepted: yes/no, 1/0, x)."
    ]
    assert models.Relation.objects.get(number="10001").is_active is True


@pytest.mark.parametrize(
    ("cell", "active"), [("ja", True), ("nee", False), ("x", True), ("Onwaar", False), ("0", False)]
)
def test_it_reads_yes_and_no_as_the_item_import_does(db, cell, active):
    result = RelationResource().import_data(csv(f"number,kind,name,is_active\n10001,person,X,{cell}\n"))

    assert not result.has_validation_errors()
    assert models.Relation.objects.get(number="10001").is_active is active


def test_an_empty_yes_no_cell_keeps_what_is_stored_and_gives_a_new_row_its_default(db):
    RelationFactory(number="10001", name="X", is_active=False)

    RelationResource().import_data(csv("number,kind,name,is_active\n10001,person,X,\n10002,person,Y,\n"))

    assert models.Relation.objects.get(number="10001").is_active is False
    assert models.Relation.objects.get(number="10002").is_active is True


def test_it_names_the_row_column_and_accepted_kinds_of_a_kind_it_cannot_read(db):
    result = RelationResource().import_data(csv("number,kind,name\n10001,Person,X\n10002,company,Y\n"))

    assert row_messages(result) == [
        "Row 3, column B (kind): 'company' is not one of the allowed values: organisation, person. "
        "Also accepted: organisatie, persoon."
    ]
    assert not models.Relation.objects.exists()


def test_it_names_the_accepted_kinds_in_dutch_for_a_dutch_user(db):
    with translation.override("nl"):
        result = RelationResource().import_data(csv("nummer,soort,naam\n10002,bedrijf,Y\n"))

        assert row_messages(result) == [
            "Rij 2, kolom B (kind): 'bedrijf' is geen van de toegestane waarden: organisatie, persoon. "
            "Ook goed: organisation, person."
        ]


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("persoon", "person"),
        (" Organisatie ", "organisation"),
        ("PERSON", "person"),
        ("organisation", "organisation"),
    ],
)
def test_it_reads_a_kind_in_dutch_or_english_whatever_the_users_language(db, language, cell, kind):
    with translation.override(language):
        result = RelationResource().import_data(csv(f"number,kind,name\n10001,{cell},X\n"))

    assert not result.has_validation_errors()
    assert models.Relation.objects.get(number="10001").kind == kind


def test_it_reads_dutch_column_names(db):
    text = "Nummer,Soort,Naam,E-mail,Plaats,Actief\n20001,organisatie,Acme,info@acme.example,Utrecht,nee\n"

    result = RelationResource().import_data(csv(text))

    assert not result.has_validation_errors() and not result.has_errors()
    acme = models.Relation.objects.get(number="20001")
    assert (acme.kind, acme.name, acme.email, acme.city, acme.is_active) == (
        "organisation",
        "Acme",
        "info@acme.example",
        "Utrecht",
        False,
    )


def test_it_reads_dutch_column_names_of_contacts_and_roles(acme_and_jan):
    contacts = ContactResource().import_data(csv("contact-id,organisatie,persoon,functie\n30001,20001,10001,Inkoper\n"))
    roles = EmployeeResource().import_data(csv("nummer,organisatie/persoon\nE0001,10001\n"))

    assert not contacts.has_validation_errors() and not roles.has_validation_errors()
    assert models.Contact.objects.get(contact_id="30001").function == "Inkoper"
    assert models.Employee.objects.get(number="E0001").relation.number == "10001"


def test_it_refuses_two_columns_that_mean_the_same_field(db):
    result = RelationResource().import_data(csv("number,nummer,kind,name\n10001,10002,person,X\n"))

    assert [str(error.error) for error in result.base_errors] == [
        "The columns 'number', 'nummer' all mean number: keep one of them."
    ]
    assert not models.Relation.objects.exists()


def test_it_exports_the_kind_in_the_users_language_and_imports_it_again(db):
    OrganisationFactory(number="20001", name="Acme")
    RelationFactory(number="10001", name="Jan Jansen")

    with translation.override("nl"):
        exported = RelationResource().export()
    rows = exported.csv.splitlines()

    assert [row.split(",")[1] for row in rows[1:]] == ["persoon", "organisatie"]
    models.Relation.objects.all().delete()
    result = RelationResource().import_data(csv(exported.csv))
    assert not result.has_validation_errors()
    assert dict(models.Relation.objects.values_list("number", "kind")) == {"10001": "person", "20001": "organisation"}


def test_every_typed_field_of_the_resources_reads_strictly():
    """Dates, numbers, yes/no and choices: no widget of django-import-export that turns an
    unreadable value into something else without a word."""
    from import_export.widgets import CharWidget, ForeignKeyWidget

    from dossier import resources

    loose = []
    for resource in [cls for cls in vars(resources).values() if isinstance(cls, type)]:
        if not issubclass(resource, resources.MasterDataResource) or not getattr(resource._meta, "model", None):
            continue
        for name, field in resource().fields.items():
            strict = isinstance(field.widget, (resources.StrictChoiceWidget, resources.StrictBooleanWidget))
            if not strict and type(field.widget) not in (CharWidget, resources.RelationNumberWidget, ForeignKeyWidget):
                loose.append(f"{resource.__name__}.{name}: {type(field.widget).__name__}")
    assert loose == []


def test_a_new_relation_without_a_kind_is_told_the_kind_is_required(db):
    result = RelationResource().import_data(csv("number,kind,name\n10001,,X\n"))

    assert row_messages(result) == ["Row 2, column B (kind): This field cannot be blank."]
    assert not models.Relation.objects.exists()


@pytest.mark.parametrize(
    ("widget", "cell", "message"),
    [
        ("StrictDateWidget", "31-02-2025", "'31-02-2025' is not a date."),
        ("StrictDateTimeWidget", "gisteren", "'gisteren' is not a date."),
        ("StrictIntegerWidget", "12,5", "'12,5' is not a whole number."),
        ("StrictDecimalWidget", "veel", "'veel' is not a number."),
    ],
)
def test_the_date_and_number_widgets_name_a_value_they_cannot_read(widget, cell, message):
    """No master data model has such a field today; a new one gets these widgets."""
    from dossier import resources

    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        getattr(resources, widget)().clean(cell)


# --- The Import and Export pages look like the admin's own (issue 9, part 6) --------------


def test_the_import_preview_and_export_pages_keep_the_admins_breadcrumb_bar(root_client):
    upload = SimpleUploadedFile("relations.csv", RELATIONS_CSV.encode(), content_type="text/csv")

    pages = {
        "Import": root_client.get(reverse("admin:dossier_relation_import")).text,
        "Import ": root_client.post(
            reverse("admin:dossier_relation_import"),
            {"format": format_index(models.Relation, "csv"), "import_file": upload},
        ).text,
        "Export": root_client.get(reverse("admin:dossier_relation_export")).text,
    }

    for last, text in pages.items():
        assert '<ol class="breadcrumbs">' in text
        assert '<div class="breadcrumbs">' not in text
        assert re.search(rf'<li aria-current="page">\s*{last.strip()}\s*</li>', text)


def test_the_import_preview_marks_changes_without_style_attributes(root_client, acme_and_jan):
    text = "number,kind,name\n20001,organisation,Acme Holding\n"
    upload = SimpleUploadedFile("relations.csv", text.encode(), content_type="text/csv")

    preview = root_client.post(
        reverse("admin:dossier_relation_import"),
        {"format": format_index(models.Relation, "csv"), "import_file": upload},
    )

    assert "<ins> Holding</ins>" in preview.text
    assert "style=" not in preview.text


def test_the_admin_export_of_relations_with_roles_takes_as_many_queries_for_many_relations_as_for_few(root_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fields = {f"relationresource_{name}": "on" for name in ("number", "employee_number", "debtor_number")}
    form = {"format": format_index(models.Relation, "csv", exporting=True), "resource": "0", **fields}

    def queries_for(count: int) -> int:
        for _ in range(count):
            relation = RelationFactory()
            EmployeeFactory(relation=relation)
            SalesRelationFactory(relation=relation)
        with CaptureQueriesContext(connection) as queries:
            response = root_client.post(reverse("admin:dossier_relation_export"), form)
        assert response.status_code == 200
        return len(queries)

    assert queries_for(2) == queries_for(20)


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared string"])
def test_the_import_button_refuses_a_cell_over_the_cell_limit_with_its_row_and_column(
    root_client, tmp_path, settings, shared
):
    from tests.spreadsheets.test_cell_limit import write_xlsx

    settings.IMPORT_MAX_CELL_LENGTH = 1000
    path = write_xlsx(tmp_path / "relations.xlsx", "x" * 2_000_000, shared=shared)  # 2 MB packed to kilobytes

    response = post_import(root_client, models.Relation, "relations.xlsx", path.read_bytes(), "xlsx")

    assert_told(response, "Row 3, column C holds more than 1,000 characters, more than a cell may hold.")
    assert len(response.content) < 100_000
