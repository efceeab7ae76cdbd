"""Every export neutralises what a spreadsheet would run as a formula and writes what .xlsx
cannot hold without failing (issue 7, part 2): the admin's master data exports and the
rejected rows file (the cells they write: tests/spreadsheets/test_writing.py). Exporting master
data needs its own permission."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from dossier import models
from imports.pipeline import report
from imports.pipeline.outcomes import Problem, RowResult
from spreadsheets.reading import open_table
from tests.factories import OrganisationFactory, UserFactory
from tests.spreadsheets.test_writing import HOSTILE

ESC = "Acme\x1b[31m red\x07 bell"


def format_index(model, title: str) -> str:
    formats = admin.site._registry[model].get_export_formats()
    return str(next(i for i, fmt in enumerate(formats) if fmt().get_title() == title))


@pytest.fixture
def hostile_relations(db):
    for number, name in enumerate([*HOSTILE, ESC], start=20001):
        OrganisationFactory(number=str(number), name=name, city="'=already escaped")


def export(client, title: str) -> bytes:
    fields = {f"relationresource_{name}": "on" for name in ("number", "name", "city")}
    response = client.post(
        reverse("admin:dossier_relation_export"),
        {"format": format_index(models.Relation, title), "resource": "0", **fields},
    )
    assert response.status_code == 200
    return response.content


@pytest.fixture
def exporter(client, db):
    user = UserFactory(username="exporter", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_relation"), Permission.objects.get(codename="export_master_data")
    )
    client.force_login(user)
    return client


def test_the_xlsx_export_writes_every_hostile_text_as_a_text_cell(exporter, hostile_relations):
    sheet = openpyxl.load_workbook(io.BytesIO(export(exporter, "xlsx"))).active
    names = {row[1].value: row[1].data_type for row in sheet.iter_rows(min_row=2)}

    assert {name: names[name] for name in HOSTILE} == dict.fromkeys(HOSTILE, "s")


def test_the_xlsx_export_removes_control_characters_instead_of_failing(exporter, hostile_relations):
    sheet = openpyxl.load_workbook(io.BytesIO(export(exporter, "xlsx"))).active

    assert "Acme[31m red bell" in [row[1].value for row in sheet.iter_rows(min_row=2)]


@pytest.mark.parametrize(("title", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_the_csv_and_tsv_exports_put_an_apostrophe_before_a_formula(exporter, hostile_relations, title, delimiter):
    text = export(exporter, title).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))

    assert [row[1] for row in rows[1 : len(HOSTILE) + 1]] == ["'" + value for value in HOSTILE]
    assert rows[1][2] == "'=already escaped"  # no formula start: left as it is


def test_a_csv_export_reads_back_as_the_original_values(exporter, hostile_relations, tmp_path):
    path = tmp_path / "relations.csv"
    path.write_bytes(export(exporter, "csv"))

    table = open_table(path)
    names = [row.cells[1] for row in table.rows()]

    assert names[: len(HOSTILE)] == [value.strip() for value in HOSTILE]  # the reader trims cells


def test_exporting_master_data_needs_its_own_permission(client, db):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_relation"))
    client.force_login(viewer)
    url = reverse("admin:dossier_relation_export")

    assert client.get(url).status_code == 403
    assert client.post(url, {"format": "0", "resource": "0"}).status_code == 403
    viewer.user_permissions.add(Permission.objects.get(codename="export_master_data"))
    assert client.get(url).status_code == 200


def rejected(cells) -> RowResult:
    return RowResult(
        number=2, cells=tuple(cells), clean=None, problems=[Problem(2, "Onderwerp", "x", "required", "Fill it in.")]
    )


def test_the_rejected_rows_xlsx_holds_hostile_values_as_text_and_drops_control_characters(tmp_path):
    target = tmp_path / "rejected.xlsx"

    count = report.write_rejected_rows([rejected([*HOSTILE, ESC, 12.5])], ["h"] * 8, target, "xlsx")

    sheet = openpyxl.load_workbook(target).active
    row = next(sheet.iter_rows(min_row=2))
    assert count == 1
    assert [(cell.value, cell.data_type) for cell in row[:6]] == [(value, "s") for value in HOSTILE]
    assert (row[6].value, row[7].value, row[7].data_type) == ("Acme[31m red bell", 12.5, "n")


def test_the_rejected_rows_csv_escapes_formulas_and_reads_back_unchanged(tmp_path):
    target = tmp_path / "rejected.csv"

    report.write_rejected_rows([rejected(HOSTILE)], [f"c{i}" for i in range(6)], target, "csv")

    text = target.read_text(encoding="utf-8-sig")
    assert next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter=";"))[0] == "'" + HOSTILE[0]
    assert list(next(open_table(target).rows()).cells[:6]) == [value.strip() for value in HOSTILE]


def test_in_the_demo_world_the_administrator_and_importeur_may_export_master_data(demo):
    from accounts.models import User

    may_export = {user.username: user.has_perm("dossier.export_master_data") for user in User.objects.all()}

    assert may_export == {"admin": True, "importeur": True, "profit": False, "zonderrechten": False}
