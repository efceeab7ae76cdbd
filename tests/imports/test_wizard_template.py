"""The template workbook of a type: one column per field, required ones marked, drop-down
lists, an instructions sheet in the user's language, and an example row that imports cleanly
on the demo world; downloaded from the wizard and from the type's admin page."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from dossier.models import ItemType
from dossier.spec import FILLED_IN, ItemSpec, Purpose
from imports import services, template_workbook
from imports.template_workbook import header_text, write_template
from tests.imports.wizard import user

pytestmark = pytest.mark.django_db

IMPORTABLE = ["SOLL", "CORR", "CONTR", "KLACHT", "CURSUS"]


def workbook_of(item_type: ItemType, username: str = "admin") -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(write_template(item_type, user=user(username))))


def import_example(item_type: ItemType, content: bytes, username: str = "admin"):
    job = services.start_import(
        user=user(username), item_type=item_type, file=io.BytesIO(content), file_name="template.xlsx"
    )
    mapping = services.suggest_mapping_for(job)
    assert services.set_mapping(job=job, mapping=mapping) == []
    return job, mapping, services.validate_import(job=job).summary


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("code", IMPORTABLE)
def test_the_example_row_of_every_demo_type_imports_cleanly(demo, code, language):
    item_type = ItemType.objects.get(code=code)
    with translation.override(language):
        content = write_template(item_type, user=user("admin"))
        job, mapping, summary = import_example(item_type, content)
    assert summary.rows == 1
    assert [p.message for p in summary.problems if p.code not in FILLED_IN] == []  # values filled in warn
    assert summary.valid_rows == 1
    # every column of the template is matched to its field, by its header alone
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    assert sorted(mapping) == sorted(f.code for f in spec.fillable_fields)
    assert all("column" in source for source in mapping.values())
    services.discard_staging(job=job)


def test_it_has_one_column_per_field_with_the_required_ones_marked_and_bold(demo):
    item_type = ItemType.objects.get(code="SOLL")
    sheet = workbook_of(item_type)["SOLL"]
    headers = [cell.value for cell in sheet[1]]
    spec = ItemSpec(item_type, purpose=Purpose.IMPORT)
    assert headers[0] == "Organisation/person *"  # the relation first
    assert sorted(headers) == sorted(header_text(f) for f in spec.fillable_fields)
    relation = headers.index("Organisation/person *")
    assert sheet[1][relation].font.b
    subject = headers.index("Subject")
    assert not sheet[1][subject].font.b


def test_characteristics_choices_and_yes_no_get_drop_down_lists(demo):
    item_type = ItemType.objects.get(code="KLACHT")
    workbook = workbook_of(item_type)
    sheet, notes = workbook["KLACHT"], workbook["Instructions"]
    headers = [cell.value for cell in sheet[1]]
    lists = {}
    for validation in sheet.data_validations.dataValidation:
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        target = validation.formula1.split("!")[1].replace("$", "")
        values = [cell.value for row in notes[target] for cell in row]
        lists[headers[openpyxl.utils.column_index_from_string(column) - 1]] = values
    assert lists["Ernst"] == ["Laag", "Midden", "Hoog"]  # labels, which the import reads back
    assert lists["Priority"] == ["High", "Normal", "Low"]
    assert lists["Done"] == ["yes", "no"]
    assert lists["Project"][:2] == ["PRJ-001", "PRJ-002"]


def test_required_columns_have_a_note_the_header_row_is_frozen_and_columns_fit(demo):
    sheet = workbook_of(ItemType.objects.get(code="KLACHT"))["KLACHT"]
    assert sheet.freeze_panes == "A2"
    for header, example in zip(sheet[1], sheet[2], strict=True):
        if header.value.endswith(" *"):
            assert "Required" in header.comment.text
        else:
            assert header.comment is None
        width = sheet.column_dimensions[header.column_letter].width
        assert len(header.value) < width <= 53
        if isinstance(example.value, str):
            assert len(example.value) < width


@pytest.mark.parametrize(
    ("language", "header", "priority"), [("en", "Priority", "Normal"), ("nl", "Prioriteit", "Normaal")]
)
def test_the_example_row_names_choices_by_their_label_in_the_users_language(demo, language, header, priority):
    with translation.override(language):
        sheet = workbook_of(ItemType.objects.get(code="KLACHT"))["KLACHT"]
    example = {header.value.removesuffix(" *"): cell.value for header, cell in zip(sheet[1], sheet[2], strict=True)}
    assert example["Ernst"] in {"Laag", "Midden", "Hoog"}
    assert example[header] == priority


def test_a_label_that_is_another_choices_code_is_offered_as_its_code(demo):
    contract = ItemType.objects.get(code="CONTR")
    free = contract.free_fields.get(kind="choice")
    free.choices = "A=B\nB=Other"
    free.save()
    notes = " ".join(str(c.value) for row in workbook_of(contract)["Instructions"].iter_rows() for c in row if c.value)
    assert "A, Other (B)" in notes


def test_an_example_the_field_would_refuse_is_left_out(demo):
    contract = ItemType.objects.get(code="CONTR")
    free = contract.free_fields.get(kind="choice")
    spec = ItemSpec(contract, purpose=Purpose.IMPORT)
    field = spec[f"free_{free.code}"]
    assert template_workbook.fitting_example(spec, field, "NOT-A-CHOICE") is None
    assert template_workbook.fitting_example(spec, field, next(iter(field.choices))) is not None


def test_free_field_choices_get_a_drop_down_list(demo):
    sheet = workbook_of(ItemType.objects.get(code="CONTR"))["CONTR"]
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert len(formulas) == 2  # Proeftijd (yes/no) and Soort contract


def test_the_instructions_are_in_the_users_language(demo):
    item_type = ItemType.objects.get(code="SOLL")
    with translation.override("nl"):
        workbook = workbook_of(item_type)
    assert workbook.sheetnames[0] == "SOLL"
    notes = workbook[workbook.sheetnames[1]]
    assert notes.title == "Toelichting"
    texts = " ".join(str(cell.value) for row in notes.iter_rows() for cell in row if cell.value)
    assert "relatienummer" in texts.lower()
    assert "Organisatie/persoon *" in [cell.value for cell in workbook["SOLL"][1]]


def test_configuration_text_that_looks_like_a_formula_stays_text(demo):
    item_type = ItemType.objects.get(code="CONTR")
    free = item_type.free_fields.get(code="Functie")
    free.label = '=HYPERLINK("http://evil")'
    free.save()
    sheet = workbook_of(item_type)["CONTR"]
    cell = next(c for c in sheet[1] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"


# --- the download -----------------------------------------------------------------------------


def test_importeur_downloads_the_template_of_a_type_he_may_use(demo, client):
    client.force_login(user("importeur"))
    response = client.get(reverse("imports:template", args=["SOLL"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="SOLL-template.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["SOLL", "Instructions"]


def test_r03_the_template_of_a_type_the_user_may_not_use_answers_404(demo, client):
    client.force_login(user("profit"))
    assert client.get(reverse("imports:template", args=["SOLL"])).status_code == 404


def test_r02_zonderrechten_gets_no_template_but_the_reason(demo, client):
    client.force_login(user("zonderrechten"))
    response = client.get(reverse("imports:template", args=["CORR"]))
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content


def test_r05_a_type_that_cannot_be_imported_has_no_template(demo, client):
    client.force_login(user("admin"))
    response = client.get(reverse("imports:template", args=["MEMO"]))
    assert response.status_code == 403
    assert b"No destination is possible" in response.content
