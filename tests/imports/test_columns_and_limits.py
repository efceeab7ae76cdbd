"""Repeated column names, columns by letter, cells over their field's limit and control
characters, through the services and the command line on the demo world (issue 7, part 4)."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from dossier.models import DossierItem, ItemType
from imports import services
from imports.pipeline.report import write_rejected_rows
from imports.pipeline.validation import RowValidator
from spreadsheets.cells import UNCOMPUTED
from spreadsheets.reading import Row
from tests.imports.commands import import_items

pytestmark = pytest.mark.django_db


def start(text, *, type_code="SOLL", username="importeur"):
    return services.start_import(
        user=get_user_model().objects.get(username=username),
        item_type=ItemType.objects.get(code=type_code),
        file=io.BytesIO(text.encode("utf-8")),
        file_name="rows.csv",
    )


TWO_SUBJECTS = "Relatienummer;Onderwerp;Toelichting;onderwerp\n10001;Brief;tekst;CV\n"


# --- a column name given twice ---------------------------------------------------------------


def test_the_headers_keep_both_columns_of_a_repeated_name(demo):
    job = start(TWO_SUBJECTS)
    assert job.headers == ["Relatienummer", "Onderwerp", "Toelichting", "onderwerp"]


def test_the_command_warns_about_a_repeated_name_maps_neither_column_by_itself_and_refuses_to_drop_both(demo, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(TWO_SUBJECTS, encoding="utf-8")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur", "--dry-run")
    assert code == 2
    assert "Columns hold data that no field takes: 'Onderwerp' (B, from row 2) and 'onderwerp' (D, from row 2)." in err
    assert (
        "Warning: The column name 'Onderwerp' is given to columns B and D: such a column is mapped by its letter, "
        'for example {"letter": "B"}.'
    ) in err
    used = json.loads(err.split("change it):", 1)[1].split("\nColumns hold", 1)[0])
    assert "subject" not in used


def test_the_command_refuses_a_mapping_by_a_repeated_name_and_takes_one_by_letter(demo, tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(TWO_SUBJECTS, encoding="utf-8")
    by_name, by_letter = tmp_path / "by_name.json", tmp_path / "by_letter.json"
    by_name.write_text(json.dumps({"relation": "Relatienummer", "subject": "Onderwerp"}))
    by_letter.write_text(
        json.dumps(
            {
                "relation": "Relatienummer",
                "subject": {"letter": "D"},
                "text": "Toelichting",
                "not_imported": [{"letter": "B"}],
            }
        )
    )

    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur", "--mapping", by_name)
    assert code == 2
    assert "Columns B and D share the name 'Onderwerp', so subject cannot be mapped by that name" in err
    assert not DossierItem.objects.filter(item_type__code="SOLL", import_job__isnull=False).exists()

    code, _out, _err = import_items(path, "--type", "SOLL", "--user", "importeur", "--mapping", by_letter)
    assert code == 0
    assert DossierItem.objects.get(item_type__code="SOLL", import_job__isnull=False).subject == "CV"


def test_a_problem_in_a_column_of_a_repeated_name_names_its_letter(demo):
    job = start("Relatienummer;Onderwerp;onderwerp\n10001;Brief;" + "x" * 300 + "\n")
    assert (
        services.set_mapping(job=job, mapping={"relation": {"column": "Relatienummer"}, "subject": {"letter": "C"}})
        == []
    )
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.column, p.code) for p in summary.errors] == [(2, "onderwerp (C)", "too_long")]


def test_a_saved_mapping_by_letter_comes_back_for_the_same_header_row_only(demo):
    mapping = {"relation": {"column": "Relatienummer"}, "subject": {"letter": "D"}}
    first = start(TWO_SUBJECTS)
    assert services.set_mapping(job=first, mapping=mapping) == []
    services.remember_mapping(job=first)
    assert services.suggest_mapping_for(start(TWO_SUBJECTS)) == {**mapping, "text": {"column": "Toelichting"}}
    reordered = start("Relatienummer;onderwerp;Onderwerp;Toelichting\n10001;CV;Brief;tekst\n")
    assert services.suggest_mapping_for(reordered) == {
        "relation": {"column": "Relatienummer"},
        "text": {"column": "Toelichting"},
    }


def test_a_mapping_saved_for_headers_without_repeats_is_still_found(demo):
    mapping = {"relation": {"column": "Relatienummer"}, "subject": {"column": "Omschrijving"}}
    first = start("Relatienummer;Omschrijving\n10001;a\n")
    assert services.set_mapping(job=first, mapping=mapping) == []
    services.remember_mapping(job=first)
    assert services.suggest_mapping_for(start("omschrijving;RELATIENUMMER\nb;10002\n")) == {
        "relation": {"column": "RELATIENUMMER"},
        "subject": {"column": "omschrijving"},
    }


# --- a cell over its field's limit -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The text is 300 characters long, and at most 255 fit: shorten it to 255 characters."),
        ("nl", "De tekst is 300 tekens lang, maar er passen er maximaal 255 in: kort de tekst in tot 255 tekens."),
    ],
)
def test_a_subject_over_its_limit_is_a_row_problem_in_the_readers_language(demo, language, message):
    rows = "\n\nRelatienummer;Onderwerp\n10001;Brief\n10002;" + "x" * 300 + "\n"  # the header in row 3
    job = start(rows)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    summary = services.validate_import(job=job).summary
    (problem,) = summary.errors
    with translation.override(language):
        assert (problem.row, problem.column, problem.code, problem.text) == (5, "Onderwerp", "too_long", message)
    with pytest.raises(services.RowsInvalid):
        services.commit_import(job=job)
    assert not DossierItem.objects.filter(import_job=job).exists()


def test_a_free_text_and_an_amount_over_their_limits_are_row_problems_not_a_failed_commit(demo):
    rows = (
        "Relatienummer;Salaris;Ingangsdatum;Functie\n"
        "10001;3500;01-02-2026;Monteur\n"
        "10001;1e5000;01-02-2026;Monteur\n"
        "10001;3500;01-02-2026;" + "M" * 256 + "\n"
    )
    job = start(rows, type_code="CONTR", username="admin")
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.column, p.code) for p in summary.errors] == [
        (3, "Salaris", "number_too_large"),
        (4, "Functie", "too_long"),
    ]
    assert services.commit_import(job=job, skip_invalid=True).items_created == 1


# --- control characters ----------------------------------------------------------------------


def test_control_characters_are_left_out_of_the_stored_text_with_a_warning(demo):
    job = start("Relatienummer;Onderwerp;Toelichting\n10001;Brief\x1b[2J aan\u202e klant;regel\x85 1\tA\n")
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    summary = services.validate_import(job=job).summary
    assert [(p.row, p.column, p.code) for p in summary.warnings if p.code == "control_characters_removed"] == [
        (2, "Onderwerp", "control_characters_removed"),
        (2, "Toelichting", "control_characters_removed"),
    ]
    assert services.commit_import(job=job).items_created == 1
    item = DossierItem.objects.get(import_job=job)
    assert (item.subject, item.text) == ("Brief[2J aan klant", "regel 1\tA")


# --- a formula without its value -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_rejected_rows_file_holds_a_formula_without_value_as_an_empty_cell(demo, tmp_path, fmt):
    from dossier.spec import ItemSpec, Purpose

    spec = ItemSpec(ItemType.objects.get(code="SOLL"), purpose=Purpose.IMPORT)
    headers = ["Relatienummer", "Onderwerp", "Berekend"]
    validator = RowValidator(
        spec,
        headers,
        {"relation": {"column": "Relatienummer"}, "subject": {"column": "Onderwerp"}},
        user=get_user_model().objects.get(username="importeur"),
    )
    results = list(validator.validate([Row(2, ("10001", UNCOMPUTED, UNCOMPUTED))]))
    assert [p.code for p in results[0].problems if not p.is_warning] == ["formula_without_value"]
    assert write_rejected_rows(results, headers, tmp_path / f"rejected.{fmt}", fmt) == 1
