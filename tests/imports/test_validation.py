"""Validation of mapped rows: every rule of the import that looks at values, by name."""

import datetime as dt
import zipfile

import pytest

from dossier.models import CharacteristicCombination, FieldState, FreeField
from dossier.spec import FILLED_IN, ItemSpec, Purpose
from imports.pipeline.attachments import AttachmentArchive
from imports.pipeline.outcomes import Summary
from imports.pipeline.validation import RowValidator
from spreadsheets.cells import UNCOMPUTED
from spreadsheets.reading import Row
from tests.factories import (
    ApplicantFactory,
    CharacteristicValueFactory,
    ContactFactory,
    CourseFactory,
    EmployeeFactory,
    FreeFieldFactory,
    ItemTypeFactory,
    ProjectFactory,
    RelationFactory,
    SalesRelationFactory,
    UserFactory,
    WorkflowFactory,
)

pytestmark = pytest.mark.django_db


def run(spec, headers, rows, *, user, mapping=None, archive=None, batch_size=2000):
    """headers: "field code:Column header", or plain headers with an explicit mapping."""
    if mapping is None:
        mapping = {code: {"column": column} for code, column in zip_mapping(headers).items()}
        headers = [header.split(":", 1)[1] for header in headers]
    validator = RowValidator(spec, headers, mapping, user=user, attachments=archive, batch_size=batch_size)
    results = list(validator.validate(Row(number, tuple(cells)) for number, cells in enumerate(rows, start=2)))
    summary = Summary()
    for result in results:
        summary.add(result)
    return results, summary


def zip_mapping(headers):
    return dict(header.split(":", 1) for header in headers)


def told(problems):
    """The problems besides the warnings of values the import fills in by itself, which
    tests/imports/test_columns_left_out.py proves."""
    return [p for p in problems if p.code not in FILLED_IN]


def errors(results):
    return [(p.row, p.column, p.value, p.code) for r in results for p in r.problems if not p.is_warning]


@pytest.fixture
def soll(alice):
    """Like the demo's SOLL: relation required, regarding employee required, attach file on."""
    item_type = ItemTypeFactory(
        code="SOLL", relation_state=FieldState.REQUIRED, regarding_employee_state=FieldState.REQUIRED, attach_file=True
    )
    return ItemSpec(item_type, purpose=Purpose.IMPORT)


@pytest.fixture
def employee():
    return EmployeeFactory(relation=RelationFactory(number="10001"), number="E0001")


def test_a_valid_row_becomes_one_clean_item(soll, employee, alice):
    results, summary = run(soll, ["relation:Nummer", "subject:Onderwerp"], [["10001", "Sollicitatiebrief"]], user=alice)
    assert errors(results) == []
    (item,) = results[0].clean.items
    assert item["relation"] == employee.relation
    assert item["regarding_employee"] is True
    assert item["submitter"] == alice
    assert (summary.rows, summary.valid_rows, summary.items) == (1, 1, 1)


def test_r08_a_row_with_several_destinations_becomes_one_item_per_destination(soll, alice):
    for n in (1, 2, 3):
        EmployeeFactory(relation=RelationFactory(number=f"1000{n}"), number=f"E000{n}")
    results, summary = run(
        soll, ["relation:Nummer", "subject:Onderwerp"], [["10001; 10002,10003", "Reglement"]], user=alice
    )
    assert errors(results) == []
    assert [item["relation"].number for item in results[0].clean.items] == ["10001", "10002", "10003"]
    assert all(item["subject"] == "Reglement" for item in results[0].clean.items)
    assert summary.items == 3


def test_r09_an_unknown_submitter_fails_and_a_known_one_is_used(soll, employee, alice):
    UserFactory(username="jan")
    results, _summary = run(
        soll, ["relation:Nummer", "submitter:Instuurder"], [["10001", "jan"], ["10001", "piet"]], user=alice
    )
    assert results[0].clean.items[0]["submitter"].username == "jan"
    assert errors(results) == [(3, "Instuurder", "piet", "user_not_found")]


def test_r10_the_submit_date_is_parsed_or_defaults_to_now(soll, employee, alice):
    results, _summary = run(
        soll,
        ["relation:Nummer", "submitted_at:Instuurdatum"],
        [["10001", "31-12-2024 10:30"], ["10001", ""]],
        user=alice,
    )
    first, second = (r.clean.items[0]["submitted_at"] for r in results)
    assert (first.year, first.month, first.day, first.hour) == (2024, 12, 31, 10)
    assert second.date() >= dt.date(2025, 1, 1)


def test_r13_regarding_employee_on_a_person_who_is_no_employee_fails_the_row(soll, alice):
    RelationFactory(number="10120")
    results, summary = run(soll, ["relation:Nummer"], [["10120"]], user=alice)
    assert errors(results) == [(2, "Nummer", "10120", "regarding_role_missing")]
    assert summary.invalid_rows == 1


def test_a_row_naming_a_blocked_relation_fails_naming_the_relation(alice):
    RelationFactory(number="20050", name="Kwartel Verhuur B.V.", kind="organisation", blocked=True)
    RelationFactory(number="20051", kind="organisation")
    spec = ItemSpec(ItemTypeFactory(relation_state=FieldState.REQUIRED), purpose=Purpose.IMPORT)
    results, summary = run(spec, ["relation:Relatie"], [["20050"], ["20051"]], user=alice)
    assert errors(results) == [(2, "Relatie", "20050", "relation_blocked")]
    assert summary.invalid_rows == 1
    (problem,) = [p for p in told(results[0].problems) if p.code == "relation_blocked"]
    assert "Relation 20050 Kwartel Verhuur B.V. is blocked" in str(problem.message)


def test_r15_an_extra_the_type_does_not_allow_fails_the_row(alice):
    ProjectFactory(code="PRJ-001")
    CourseFactory(code="CRS-01")
    spec = ItemSpec(
        ItemTypeFactory(
            relation_state=FieldState.OPTIONAL, course_state=FieldState.REQUIRED, project_state=FieldState.HIDDEN
        ),
        purpose=Purpose.IMPORT,
    )
    mapping = {"course": {"column": "Cursus"}, "project": {"column": "Project"}}
    validator = RowValidator(spec, ["Cursus", "Project"], mapping, user=alice)
    (result,) = validator.validate([Row(2, ("CRS-01", "PRJ-001"))])
    assert [(p.column, p.code) for p in told(result.problems)] == [("Project", "field_not_allowed")]


def test_an_unknown_extra_fails_with_its_value(alice):
    spec = ItemSpec(
        ItemTypeFactory(relation_state=FieldState.HIDDEN, project_state=FieldState.REQUIRED), purpose=Purpose.IMPORT
    )
    results, _summary = run(spec, ["project:Project"], [["PRJ-999"]], user=alice)
    assert errors(results) == [(2, "Project", "PRJ-999", "project_not_found")]


def test_r16_characteristic_values_must_exist_and_form_a_combination(alice):
    hoog = CharacteristicValueFactory(code="HOOG", label="Hoog")
    CharacteristicValueFactory(characteristic=hoog.characteristic, code="LAAG", label="Laag")
    item_type = ItemTypeFactory(
        use_characteristics=True, characteristic_1=hoog.characteristic, only_existing_combinations=True
    )
    CharacteristicCombination.objects.create(item_type=item_type, value_1=hoog)
    RelationFactory(number="20001")
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    results, _summary = run(
        spec,
        ["relation:Nr", "characteristic_1:Ernst"],
        [["20001", "hoog"], ["20001", "Laag"], ["20001", "extreem"]],
        user=alice,
    )
    assert errors(results) == [
        (3, "Ernst", "Laag", "characteristic_combination"),
        (4, "Ernst", "extreem", "invalid_choice"),
    ]


def test_r17_the_clean_row_names_the_workflow_through_the_spec(alice):
    hoog = CharacteristicValueFactory(code="HOOG")
    item_type = ItemTypeFactory(use_characteristics=True, characteristic_1=hoog.characteristic)
    workflow = WorkflowFactory()
    CharacteristicCombination.objects.create(item_type=item_type, value_1=hoog, workflow=workflow)
    RelationFactory(number="20001")
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    results, _summary = run(spec, ["relation:Nr", "characteristic_1:Ernst"], [["20001", "HOOG"]], user=alice)
    assert spec.workflow_id_for(results[0].clean.items[0]) == workflow.pk


def test_r18_free_fields_are_parsed_by_kind_and_required_ones_must_be_filled(alice):
    item_type = ItemTypeFactory(kind="own")
    FreeFieldFactory(item_type=item_type, code="Salaris", label="Salaris", kind=FreeField.Kind.DECIMAL, required=True)
    FreeFieldFactory(item_type=item_type, code="Ingangsdatum", label="Ingangsdatum", kind=FreeField.Kind.DATE)
    RelationFactory(number="10001")
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    headers = ["relation:Nr", "free_Salaris:Salaris", "free_Ingangsdatum:Ingang"]
    results, _summary = run(spec, headers, [["10001", "3.500,00", "1-2-26"], ["10001", "", "31-02-2026"]], user=alice)
    assert str(results[0].clean.items[0]["free_Salaris"]) == "3500.00"
    assert results[0].clean.items[0]["free_Ingangsdatum"] == dt.date(2026, 2, 1)
    assert errors(results) == [(3, "Ingang", "31-02-2026", "invalid_date"), (3, "Salaris", "", "required")]


@pytest.mark.parametrize(
    ("make_role", "number", "label"),
    [
        (lambda: EmployeeFactory(relation=RelationFactory(number="10001"), number="E0001"), "E0001", "employee number"),
        (
            lambda: SalesRelationFactory(
                relation=RelationFactory(number="20001", kind="organisation"), number="D20001"
            ),
            "D20001",
            "debtor number",
        ),
        (
            lambda: ApplicantFactory(relation=RelationFactory(number="10081"), number="A0081"),
            "A0081",
            "applicant number",
        ),
    ],
)
def test_r19_a_role_number_gets_an_error_naming_the_relation_number(make_role, number, label, alice):
    role = make_role()
    spec = ItemSpec(ItemTypeFactory(), purpose=Purpose.IMPORT)
    results, _summary = run(spec, ["relation:Nummer"], [[number]], user=alice)
    (problem,) = told(results[0].problems)
    assert (problem.row, problem.column, problem.value, problem.code) == (2, "Nummer", number, "relation_not_found")
    assert label in problem.message
    assert f"Use relation number {role.relation.number} instead" in problem.message


def test_r19_an_unknown_number_says_so(alice):
    spec = ItemSpec(ItemTypeFactory(), purpose=Purpose.IMPORT)
    results, _summary = run(spec, ["relation:Nummer"], [["99999"]], user=alice)
    assert "no organisation/person with number 99999" in results[0].problems[0].message


def test_r20_a_contact_of_another_organisation_fails(alice):
    contact = ContactFactory(contact_id="30001")
    other = RelationFactory(number="20002", kind="organisation")
    spec = ItemSpec(ItemTypeFactory(contact_state=FieldState.OPTIONAL), purpose=Purpose.IMPORT)
    results, _summary = run(
        spec,
        ["relation:Nr", "contact:Contact"],
        [[other.number, "30001"], [contact.organisation.number, "30001"], [other.number, "39999"]],
        user=alice,
    )
    assert errors(results) == [
        (2, "Contact", "30001", "contact_not_of_relation"),
        (4, "Contact", "39999", "contact_not_found"),
    ]


def test_r26_every_problem_of_every_row_is_collected(soll, employee, alice):
    rows = [["10001", "31-13-2025", "x" * 300], ["", "", ""], ["E0001", "ok", ""]]
    item_type = soll.item_type
    item_type.has_begin_date = True
    item_type.save()
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    results, summary = run(spec, ["relation:Nr", "begin_date:Begin", "subject:Onderwerp"], rows, user=alice)
    assert {(row, code) for row, _column, _value, code in errors(results)} == {
        (2, "invalid_date"),
        (2, "too_long"),
        (3, "required"),
        (4, "relation_not_found"),
        (4, "invalid_date"),
    }
    assert summary.invalid_rows == 3


def test_codes_read_as_floats_keep_their_text(soll, alice):
    EmployeeFactory(relation=RelationFactory(number="00123"), number="E0123")
    EmployeeFactory(relation=RelationFactory(number="10001"), number="E0001")
    results, _summary = run(soll, ["relation:Nr"], [[10001.0], ["00123"]], user=alice)
    assert [r.clean.items[0]["relation"].number for r in results] == ["10001", "00123"]


def test_r14_a_fixed_relation_applies_to_every_row(soll, employee, alice):
    mapping = {"relation": {"fixed": "10001"}, "subject": {"column": "Onderwerp"}}
    results, _summary = run(soll, ["Onderwerp"], [["a"], ["b"]], user=alice, mapping=mapping)
    assert [r.clean.items[0]["relation"] for r in results] == [employee.relation, employee.relation]


def test_lookups_take_the_same_number_of_queries_for_ten_rows_and_for_a_thousand(alice, django_assert_num_queries):
    item_type = ItemTypeFactory(
        contact_state=FieldState.OPTIONAL,
        regarding_employee_state=FieldState.OPTIONAL,
        project_state=FieldState.OPTIONAL,
    )
    relations = [RelationFactory(number=str(10001 + n)) for n in range(50)]
    for relation in relations[:25]:
        EmployeeFactory(relation=relation)
    ProjectFactory(code="PRJ-001")
    UserFactory(username="jan")
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    headers = ["relation:Nr", "regarding_employee:Mw", "project:Project", "submitter:Instuurder"]

    def rows(count):
        return [[relations[n % 50].number, "ja" if n % 50 < 25 else "nee", "PRJ-001", "jan"] for n in range(count)]

    mapping = {code: {"column": column} for code, column in zip_mapping(headers).items()}

    def count_queries(count):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as context:
            columns = [header.split(":", 1)[1] for header in headers]
            validator = RowValidator(spec, columns, mapping, user=alice, batch_size=5000)
            results = list(validator.validate(Row(n, tuple(cells)) for n, cells in enumerate(rows(count), start=2)))
        assert all(r.is_valid for r in results)
        return len(context.captured_queries)

    assert count_queries(10) == count_queries(1000)
    assert count_queries(1000) <= 10


# --- attachments (R22-R25) -----------------------------------------------------------------


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "bijlagen.zip"
    with zipfile.ZipFile(path, "w") as zip_file:
        zip_file.writestr("Import/10001_brief.pdf", b"%PDF brief")
        zip_file.writestr("Import/10001_cv.pdf", b"%PDF cv")
        zip_file.writestr("Import/cv_zonder_nummer.pdf", b"%PDF")
    opened = AttachmentArchive.open(path)
    yield opened
    opened.close()


def test_r24_a_unc_path_is_found_in_the_zip(soll, employee, alice, archive):
    results, _summary = run(
        soll,
        ["relation:Nr", "attachment:Bijlage"],
        [["10001", "\\\\client\\C$\\Import\\10001_brief.pdf"]],
        user=alice,
        archive=archive,
    )
    assert errors(results) == []
    assert [m.name for m in results[0].clean.attachments] == ["Import/10001_brief.pdf"]


def test_r24_a_local_drive_path_is_refused_with_the_accepted_notation(soll, employee, alice, archive):
    results, _summary = run(
        soll,
        ["relation:Nr", "attachment:Bijlage"],
        [["10001", "C:\\Import\\10001_brief.pdf"]],
        user=alice,
        archive=archive,
    )
    (problem,) = told(results[0].problems)
    assert problem.code == "attachment_local_path"
    assert "\\\\client\\C$\\Import\\10001_brief.pdf" in problem.message


def test_r24_a_missing_file_or_a_missing_zip_fails(soll, employee, alice, archive):
    results, _summary = run(
        soll,
        ["relation:Nr", "attachment:Bijlage"],
        [["10001", "\\\\client\\C$\\Import\\ontbreekt.pdf"]],
        user=alice,
        archive=archive,
    )
    assert [p.code for p in told(results[0].problems)] == ["attachment_not_found"]
    results, _summary = run(soll, ["relation:Nr", "attachment:Bijlage"], [["10001", "10001_cv.pdf"]], user=alice)
    assert [p.code for p in told(results[0].problems)] == ["attachment_no_archive"]


def test_r22_an_attachment_for_a_type_without_attach_file_fails(employee, alice, archive):
    spec = ItemSpec(ItemTypeFactory(attach_file=False), purpose=Purpose.IMPORT)
    validator = RowValidator(
        spec,
        ["Nr", "Bijlage"],
        {"relation": {"column": "Nr"}, "attachment": {"column": "Bijlage"}},
        user=alice,
        attachments=archive,
    )
    (result,) = validator.validate([Row(2, ("10001", "10001_cv.pdf"))])
    assert [p.code for p in told(result.problems)] == ["field_not_allowed"]


def test_r25_names_without_the_relation_number_and_files_used_twice_are_warnings(soll, employee, alice, archive):
    rows = [["10001", "cv_zonder_nummer.pdf"], ["10001", "10001_cv.pdf"], ["10001", "Import/10001_cv.pdf"]]
    results, summary = run(soll, ["relation:Nr", "attachment:Bijlage"], rows, user=alice, archive=archive)
    assert all(r.is_valid for r in results)
    assert [(p.row, p.code) for p in told(summary.warnings)] == [
        (2, "attachment_name_without_number"),
        (4, "attachment_used_twice"),
    ]
    assert "row 3" in told(summary.warnings)[1].message


def test_a_file_used_twice_is_reported_at_its_attachment_column_and_field(soll, employee, alice, archive):
    rows = [["10001", "10001_cv.pdf"], ["10001", "Import/10001_cv.pdf"]]
    _results, summary = run(soll, ["relation:Nr", "attachment:Bijlage"], rows, user=alice, archive=archive)
    (warning,) = told(summary.warnings)
    assert (warning.row, warning.column, warning.field, warning.code) == (
        3,
        "Bijlage",
        "attachment",
        "attachment_used_twice",
    )


def test_an_attachment_whose_name_is_longer_than_an_attachment_holds_fails_at_validation(
    soll, employee, alice, tmp_path
):
    name = "10001_" + "x" * 246 + ".pdf"  # 256 characters
    path = tmp_path / "lang.zip"
    with zipfile.ZipFile(path, "w") as zip_file:
        zip_file.writestr(name, b"%PDF")
        zip_file.writestr("10001_" + "x" * 245 + ".pdf", b"%PDF")  # 255: fits
    archive = AttachmentArchive.open(path)
    rows = [["10001", name], ["10001", name[:-5] + ".pdf"]]
    try:
        results, _summary = run(soll, ["relation:Nr", "attachment:Bijlage"], rows, user=alice, archive=archive)
    finally:
        archive.close()
    assert errors(results) == [(2, "Bijlage", name[:199] + "…", "attachment_name_too_long")]
    assert "at most 255 characters" in results[0].problems[0].message


def test_a_value_repeated_in_many_rows_is_parsed_alike_and_a_bad_one_fails_each_time(soll, employee, alice):
    item_type = soll.item_type
    item_type.has_begin_date = True
    item_type.save()
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    cells = ["31-12-2024", "31-13-2024", "31-12-2024", "31-13-2024", 1, True, 1, True]
    results, _summary = run(spec, ["relation:Nr", "begin_date:Begin"], [["10001", c] for c in cells], user=alice)
    assert [r.clean.items[0]["begin_date"] if r.clean else None for r in results] == [
        dt.date(2024, 12, 31),
        None,
        dt.date(2024, 12, 31),
        None,
        dt.date(1899, 12, 31),  # Excel serial number 1
        None,  # True is no date, although True == 1 as a key
        dt.date(1899, 12, 31),
        None,
    ]
    assert [(row, code) for row, _column, _value, code in errors(results)] == [
        (3, "invalid_date"),
        (5, "invalid_date"),
        (7, "invalid_date"),
        (9, "invalid_date"),
    ]


# --- cells the readers could not give a value, text with control characters, limits ---------


@pytest.fixture
def notes(alice):
    """An own type with a subject, a text and a free text, number and date-time-ish fields."""
    item_type = ItemTypeFactory(kind="own", relation_state=FieldState.REQUIRED, has_text=True)
    FreeFieldFactory(item_type=item_type, code="Functie", label="Functie", kind=FreeField.Kind.TEXT)
    FreeFieldFactory(item_type=item_type, code="Aantal", label="Aantal", kind=FreeField.Kind.INTEGER)
    FreeFieldFactory(item_type=item_type, code="Bedrag", label="Bedrag", kind=FreeField.Kind.DECIMAL)
    RelationFactory(number="10001")
    return ItemSpec(item_type, purpose=Purpose.IMPORT)


NOTES = ["relation:Nr", "subject:Onderwerp", "text:Toelichting", "free_Functie:Functie", "free_Aantal:Aantal"]


def test_a_formula_without_its_value_is_a_row_problem_saying_to_save_the_file_again(notes, alice):
    rows = [["10001", UNCOMPUTED, "x", None, None], [UNCOMPUTED, "Brief", None, None, UNCOMPUTED]]
    results, summary = run(notes, NOTES, rows, user=alice)
    assert errors(results) == [
        (2, "Onderwerp", "", "formula_without_value"),
        (3, "Nr", "", "formula_without_value"),  # not reported again as a missing relation
        (3, "Aantal", "", "formula_without_value"),
    ]
    assert "Open the file in your spreadsheet program and save it again" in results[0].problems[0].message
    assert summary.invalid_rows == 2
    assert results[1].cells == (None, "Brief", None, None, None)  # the rejected rows file gets plain cells


def test_a_formula_without_its_value_in_an_unmapped_column_is_no_problem(notes, alice):
    validator = RowValidator(notes, ["Nr", "Berekend"], {"relation": {"column": "Nr"}}, user=alice)
    (result,) = validator.validate([Row(2, ("10001", UNCOMPUTED))])
    assert result.is_valid
    assert told(result.problems) == []


def test_control_characters_are_removed_from_text_with_a_warning_naming_row_and_column(notes, alice):
    rows = [
        ["10001", "Brief\x1b[31m aan\u202eklant", "regel 1\r\nregel 2\tmet tab", "Hoofd\x00 HR\x85", None],
        ["10001", "Gewone brief", "Gewone tekst", "Adviseur", None],
    ]
    results, summary = run(notes, NOTES, rows, user=alice)
    assert all(r.is_valid for r in results)
    item = results[0].clean.items[0]
    assert item["subject"] == "Brief[31m aanklant"
    assert item["text"] == "regel 1\r\nregel 2\tmet tab"  # tab and line breaks stay
    assert item["free_Functie"] == "Hoofd HR"
    assert [(p.row, p.column, p.value, p.code, p.is_warning) for p in told(summary.problems)] == [
        (2, "Onderwerp", "Brief[31m aanklant", "control_characters_removed", True),
        (2, "Functie", "Hoofd HR", "control_characters_removed", True),
    ]
    assert "U+001B" in summary.problems[0].message


def test_control_characters_leave_keys_too_and_no_problem_shows_them(notes, alice):
    rows = [["10001\x1b", None, None, None, None], ["\x1b[2J\x079999", None, None, None, "\u202e12"]]
    results, _summary = run(notes, NOTES, rows, user=alice)
    assert results[0].is_valid
    assert results[0].clean.items[0]["relation"].number == "10001"
    assert results[1].clean is None
    assert [(p.row, p.value, p.code, p.is_warning) for r in results for p in told(r.problems)] == [
        (2, "10001", "control_characters_removed", True),
        (3, "[2J9999", "control_characters_removed", True),
        (3, "12", "control_characters_removed", True),
        (3, "[2J9999", "relation_not_found", False),
    ]
    assert all("\x1b" not in p.message for r in results for p in r.problems)
    assert results[1].problems[2].message.startswith("There is no organisation/person with number [2J9999.")


def test_a_text_over_its_limit_names_the_limit_row_and_column(notes, alice):
    rows = [
        ["10001", "x" * 255, "y" * 10_000, "z" * 250 + "\x07" * 10, None],
        ["10001", "x" * 256, None, "z" * 256, None],
    ]
    results, _summary = run(notes, NOTES, rows, user=alice)
    assert results[0].is_valid  # 255 fits, a text has no limit, control characters do not count
    assert [(row, column, code) for row, column, _value, code in errors(results)] == [
        (3, "Onderwerp", "too_long"),
        (3, "Functie", "too_long"),
    ]
    assert results[1].problems[0].message == (
        "The text is 256 characters long, and at most 255 fit: shorten it to 255 characters."
    )
    assert "256 characters" in results[1].problems[1].message


def test_a_number_too_large_to_store_is_a_row_problem(notes, alice):
    rows = [
        ["10001", None, None, None, cell] for cell in ("999999999999999", "1e999999999", 1e16, "1.000.000.000.000.000")
    ]
    results, _summary = run(notes, NOTES, rows, user=alice)
    assert results[0].clean.items[0]["free_Aantal"] == 999_999_999_999_999
    assert [(row, code) for row, _column, _value, code in errors(results)] == [
        (3, "number_too_large"),
        (4, "number_too_large"),
        (5, "number_too_large"),
    ]


def test_a_submit_date_outside_the_calendar_in_utc_is_a_row_problem(soll, employee, alice):
    rows = [["10001", "01-01-0001 00:00"], ["10001", "02-01-0001 00:00"]]
    results, _summary = run(soll, ["relation:Nummer", "submitted_at:Instuurdatum"], rows, user=alice)
    assert errors(results) == [(2, "Instuurdatum", "01-01-0001 00:00", "invalid_datetime")]
    assert results[1].is_valid


def test_a_cause_number_no_item_can_have_is_not_found_instead_of_failing_the_query(soll, employee, alice):
    item_type = soll.item_type
    item_type.has_cause = True
    item_type.save()
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    causes = ["²", "9" * 30, "9" * 5000, "2147483648"]
    results, _summary = run(spec, ["relation:Nr", "cause:Oorzaak"], [["10001", c] for c in causes], user=alice)
    assert [code for _row, _column, _value, code in errors(results)] == ["item_not_found"] * 4


def test_a_problem_quotes_at_most_200_characters_of_its_cell(notes, alice):
    results, _summary = run(notes, NOTES, [["10001", "x" * 32_767, None, None, None]], user=alice)
    (problem,) = told(results[0].problems)
    assert problem.value == "x" * 199 + "…"
    assert "32,767 characters"  # grouped as English writes it in problem.message


def test_a_nul_character_in_a_key_or_a_text_never_reaches_the_database(notes, alice):
    """PostgreSQL refuses NUL in any text: in a query it would fail the validation."""
    rows = [["10001\x00", "Brief\x00", None, None, None], ["\x0010002", None, None, None, None]]
    results, _summary = run(notes, NOTES, rows, user=alice)
    assert results[0].clean.items[0]["subject"] == "Brief"
    assert [(p.row, p.code) for r in results for p in told(r.problems)] == [
        (2, "control_characters_removed"),
        (2, "control_characters_removed"),
        (3, "control_characters_removed"),
        (3, "relation_not_found"),
    ]
