"""Nothing dropped without the user deciding (issue 15, part 2): columns holding data that no
field takes and cells right of the last column name stop the import until the mapping says
"not imported" (the wizard's tick boxes, --ignore-column); a column without a name is the same
column in every language, by its letter; every value the import fills in by itself is a
warning on its row. The files are built by the tests."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from dossier.models import Contact, Course, DossierItem, ItemType
from imports import services, tasks
from imports.models import ImportJob, SavedMapping
from imports.pipeline.columns import ColumnWatch
from imports.pipeline.mapping import suggest_mapping
from spreadsheets.reading import Row
from tests.imports.commands import import_items
from tests.imports.wizard import start_job

pytestmark = pytest.mark.django_db

# Afdeling (C) holds data from row 3 on; row 4 has a cell right of the last name (D).
LEFT_OUT = "Relatienummer;Onderwerp;Afdeling\n10001;Brief;\n10002;CV;HR\n10001;Memo;;los\n"


def start(text, *, type_code="SOLL", username="importeur"):
    return services.start_import(
        user=get_user_model().objects.get(username=username),
        item_type=ItemType.objects.get(code=type_code),
        file=io.BytesIO(text.encode("utf-8")),
        file_name="rows.csv",
    )


def written(tmp_path, text, name="rows.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def soll_items():
    return DossierItem.objects.filter(item_type__code="SOLL", import_job__isnull=False)


# --- the pipeline ----------------------------------------------------------------------------


def test_the_watch_notes_the_first_row_of_data_in_each_column_no_field_takes():
    headers = ["Relatienummer", "Onderwerp", "Afdeling", ""]
    mapping = {"relation": {"column": "Relatienummer"}, "not_imported": [{"letter": "D"}]}
    watch = ColumnWatch(headers, mapping)
    rows = [Row(2, ("10001", "Brief", None, None)), Row(3, ("10002", None, "HR", "x")), Row(4, ("1", "a", "b", None))]
    assert list(watch.rows(rows)) == rows
    left_out = watch.left_out({5: 7})
    assert [(c.letter, c.title, c.row, c.beyond, c.confirmed) for c in left_out] == [
        ("B", "Onderwerp", 2, False, False),
        ("C", "Afdeling", 3, False, False),
        ("D", "(D)", 3, False, True),
        ("F", "(F)", 7, True, False),
    ]


def test_a_saved_mapping_keeps_its_columns_not_imported_where_they_still_are(demo):
    spec = services.spec_for(start("Relatienummer;Onderwerp;Afdeling\n10001;Brief;HR\n"))
    saved = {"relation": {"column": "Relatienummer"}, "not_imported": ["Afdeling", {"letter": "F"}, "Weg"]}
    mapping = suggest_mapping(spec, ["Afdeling", "Relatienummer", "Onderwerp"], saved, saved_headers=["x", "y", "z"])
    assert mapping["not_imported"] == [{"column": "Afdeling"}, {"letter": "F"}]
    narrower = suggest_mapping(spec, ["Relatienummer", "Afdeling"], saved, saved_headers=["x", "y", "z"])
    assert narrower["not_imported"] == [{"column": "Afdeling"}]


def test_a_malformed_or_unknown_not_imported_entry_is_a_mapping_problem(demo):
    job = start(LEFT_OUT)
    base = {"relation": {"column": "Relatienummer"}}
    problems = services.set_mapping(job=job, mapping={**base, "not_imported": "Afdeling"})
    assert [p.code for p in problems] == ["mapping_malformed"]
    problems = services.set_mapping(job=job, mapping={**base, "not_imported": ["Afdling"]})
    assert [(p.code, p.message) for p in problems] == [
        ("unknown_column", "The file has no column 'Afdling' to leave out: choose one of its columns.")
    ]


# --- the services ----------------------------------------------------------------------------


def test_the_check_records_the_columns_left_out_and_the_commit_refuses_until_they_are_confirmed(demo):
    job = start(LEFT_OUT)
    assert services.set_mapping(job=job, mapping={"relation": "x"} and services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    assert [(c["letter"], c["row"], c["beyond"], c["confirmed"]) for c in job.left_out_columns] == [
        ("C", 3, False, False),
        ("D", 4, True, False),
    ]
    with pytest.raises(services.ColumnsLeftOut) as refused:
        services.commit_import(job=job)
    assert refused.value.message == (
        "Columns hold data that no field takes: 'Afdeling' (C, from row 3) and D (without a name, from row 4). "
        "On the mapping page, choose a field for each, or tick 'not imported'."
    )
    assert not soll_items().exists()

    mapping = {**job.mapping, "not_imported": ["Afdeling", {"letter": "D"}]}
    assert services.set_mapping(job=job, mapping=mapping) == []
    services.validate_import(job=job)
    assert [c["confirmed"] for c in job.left_out_columns] == [True, True]
    assert services.commit_import(job=job).items_created == 3


def test_the_task_queue_refuses_a_commit_with_columns_left_out(demo):
    job = start(LEFT_OUT)
    services.set_mapping(job=job, mapping=services.suggest_mapping_for(job))
    services.validate_import(job=job)
    with pytest.raises(services.ColumnsLeftOut):
        tasks.start_commit(job=job)
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALIDATED


def test_a_remembered_mapping_keeps_the_columns_confirmed_as_not_imported(demo):
    job = start(LEFT_OUT)
    mapping = {**services.suggest_mapping_for(job), "not_imported": ["Afdeling", {"letter": "D"}]}
    services.set_mapping(job=job, mapping=mapping)
    services.validate_import(job=job)
    services.remember_mapping(job=job)
    assert SavedMapping.objects.get().mapping["not_imported"] == ["Afdeling", {"letter": "D"}]
    again = start(LEFT_OUT.replace("Brief", "Brief 2"))
    assert services.suggest_mapping_for(again)["not_imported"] == [{"column": "Afdeling"}, {"letter": "D"}]


# --- a column without a name, in every language ---------------------------------------------------


NAMELESS = "Relatienummer;;Onderwerp\n10001;Toelichting bij de brief;Brief\n"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_column_without_a_name_is_mapped_by_its_letter_in_every_language(demo, tmp_path, language):
    mapping = written(tmp_path, json.dumps({"relation": "Relatienummer", "subject": "Onderwerp"}), "m.json")
    with translation.override(language):
        code, _out, err = import_items(written(tmp_path, NAMELESS), "--type", "SOLL", "--user", "importeur",
                                       "--mapping", mapping, "--dry-run", "--json")  # fmt: skip
    assert code == 2
    assert "B (" in err and "Kolom B" not in err and "Column B" not in err
    with translation.override(language):
        job = start(NAMELESS)
    assert job.headers == ["Relatienummer", "", "Onderwerp"]
    with translation.override(language):
        code, out, _err = import_items(written(tmp_path, NAMELESS), "--type", "SOLL", "--user", "importeur",
                                       "--mapping", mapping, "--ignore-column", "B", "--json")  # fmt: skip
    assert code == 0, _err
    assert json.loads(out)["left_out_columns"][0]["letter"] == "B"


def test_a_remembered_mapping_of_a_column_without_a_name_gives_the_same_result_in_nl_and_en(demo, tmp_path):
    path = written(tmp_path, NAMELESS)
    by_letter = written(
        tmp_path, json.dumps({"relation": "Relatienummer", "subject": "Onderwerp", "text": {"letter": "B"}}), "m.json"
    )
    with translation.override("nl"):
        assert import_items(path, "--type", "SOLL", "--user", "importeur", "--mapping", by_letter)[0] == 0
    with translation.override("en"):
        job = start(NAMELESS.replace("Brief", "Brief 2"))
        assert services.suggest_mapping_for(job)["text"] == {"letter": "B"}
        code, _out, err = import_items(
            written(tmp_path, NAMELESS.replace("Brief", "Brief 3"), "b.csv"), "--type", "SOLL", "--user", "importeur"
        )
    assert code == 0, err
    assert sorted(soll_items().values_list("text", flat=True)) == ["Toelichting bij de brief"] * 2


# --- the command line ------------------------------------------------------------------------


def test_the_command_line_refuses_cells_right_of_the_last_column_name_and_takes_ignore_column(demo, tmp_path):
    path = written(tmp_path, "Relatienummer;Onderwerp\n10001;Brief\n10002;CV;vergeten\n")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert err.strip().endswith(
        "Columns hold data that no field takes: C (without a name, from row 3). Map them with --mapping, or leave "
        "them out with --ignore-column for each (its name, or its letter when it has no name)."
    )
    assert not soll_items().exists()
    assert ImportJob.objects.get().state == ImportJob.State.CANCELLED
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur", "--ignore-column", "c")
    assert code == 0, err
    assert soll_items().count() == 2


def test_the_command_line_refuses_both_columns_of_a_repeated_name_and_takes_them_by_letter(demo, tmp_path):
    path = written(tmp_path, "Relatienummer;Onderwerp;Onderwerp\n10001;Brief;CV\n")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur")
    assert code == 2
    assert "'Onderwerp' (B, from row 2) and 'Onderwerp' (C, from row 2)" in err
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur", "--ignore-column", "Onderwerp")
    assert code == 2
    assert "--ignore-column 'Onderwerp' names no single column of the file" in err
    mapping = written(tmp_path, json.dumps({"relation": "Relatienummer", "subject": {"letter": "C"}}), "m.json")
    code, _out, err = import_items(
        path, "--type", "SOLL", "--user", "importeur", "--mapping", mapping, "--ignore-column", "B"
    )
    assert code == 0, err
    assert soll_items().get().subject == "CV"


def test_the_mapping_file_may_say_not_imported(demo, tmp_path):
    mapping = written(
        tmp_path, json.dumps({"relation": "Relatienummer", "not_imported": ["Afdeling", {"letter": "D"}]}), "m.json"
    )
    code, _out, err = import_items(
        written(tmp_path, LEFT_OUT, "rows.csv"), "--type", "SOLL", "--user", "importeur", "--mapping", mapping, "--json"
    )
    assert code == 2  # Onderwerp (B) is not mapped and not said to be left out
    assert "Columns hold data that no field takes: 'Onderwerp' (B, from row 2). Map them" in err


# --- the wizard ------------------------------------------------------------------------------


def map_url(job):
    return reverse("imports:map", args=[job.pk])


def test_the_mapping_page_lists_the_columns_with_data_no_field_takes_and_asks_to_confirm_them(importeur, client):
    job = start_job(LEFT_OUT)
    response = client.get(map_url(job))
    columns = {c["letter"]: c for c in response.context["columns"]}
    assert columns["C"]["box"] is not None and columns["C"]["first_row"] == 3
    assert columns["D"]["beyond"] and columns["D"]["sample"] == ["los"]
    assert "(no name: right of the last column name)" in response.content.decode()
    data = {name: response.context["form"][name].value() or "" for name in response.context["form"].fields}
    response = client.post(map_url(job), data)
    assert response.status_code == 200
    assert response.context["form"].errors["not_imported"] == [
        "Columns hold data that no field takes: 'Afdeling' (C, from row 3) and D (without a name, from row 4). "
        "On the mapping page, choose a field for each, or tick 'not imported'."
    ]
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED
    data["not_imported"] = ["C", "D"]
    response = client.post(map_url(job), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["not_imported"] == [{"column": "Afdeling"}, {"letter": "D"}]
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.MAPPED)  # the check not run yet
    response = client.get(map_url(job))  # shown again as ticked
    assert response.context["form"]["not_imported"].value() == ["C", "D"]


def test_the_check_page_lists_confirmed_columns_and_blocks_the_import_for_unconfirmed_ones(importeur, client):
    job = start_job(LEFT_OUT)
    services.set_mapping(job=job, mapping={**services.suggest_mapping_for(job), "not_imported": ["Afdeling"]})
    services.validate_import(job=job)
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "D (without a name, from row 4)" in page and 'id="check-left-out"' in page
    assert 'id="import-all"' not in page
    assert "Not imported, as you confirmed: &#x27;Afdeling&#x27; (C, from row 3)." in page
    response = client.post(reverse("imports:import", args=[job.pk]), {"rows": "all"})
    assert response.status_code == 302 and not soll_items().exists()


def test_data_found_below_the_rows_the_mapping_page_looks_at_is_asked_for_at_the_check(importeur, client, monkeypatch):
    monkeypatch.setattr("imports.views.SCAN_ROWS", 2)
    job = start_job("Relatienummer;Onderwerp;Afdeling\n10001;Brief;\n10002;CV;\n10001;Memo;HR\n")
    response = client.get(map_url(job))
    choices = response.context["form"].fields["not_imported"].choices
    assert "C" not in dict(choices)  # nothing seen in C in the first 2 rows
    services.set_mapping(job=job, mapping=services.suggest_mapping_for(job))
    services.validate_import(job=job)
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "&#x27;Afdeling&#x27; (C, from row 4)" in page and 'id="import-all"' not in page
    response = client.get(map_url(job))  # the mapping page now knows, from the check
    assert ("C", "Afdeling") in response.context["form"].fields["not_imported"].choices


# --- values the import fills in by itself ------------------------------------------------------


def validated(job, mapping):
    assert services.set_mapping(job=job, mapping=mapping) == []
    return services.validate_import(job=job).summary


def test_every_value_the_import_fills_in_is_a_warning_on_its_row(demo):
    contact = Contact.objects.select_related("organisation").first()
    course = Course.objects.filter(is_active=True).first()
    job = start(f"Contact;Onderwerp\n{contact.contact_id};Brief\n", type_code="CURSUS")
    mapping = {"contact": {"column": "Contact"}, "subject": {"column": "Onderwerp"}, "course": {"fixed": course.code}}
    summary = validated(job, mapping)
    assert summary.valid_rows == 1
    warnings = {p.code: p for p in summary.warnings}
    assert set(warnings) == {"submitter_filled_in", "submit_date_filled_in", "relation_from_contact"}
    assert warnings["relation_from_contact"].message == (
        f"No organisation/person given: {contact.organisation.number}, the organisation of contact "
        f"{contact.contact_id}, is filled in."
    )
    assert warnings["relation_from_contact"].row == 2
    assert warnings["submitter_filled_in"].message == (
        "No submitter given: importeur, who imports the file, is filled in (R9)."
    )


def test_a_type_that_sets_a_regarding_role_and_a_date_done_without_done_warn_too(demo):
    job = start("Relatienummer;Onderwerp;Datum afgehandeld;Ernst\n20001;Klacht;03-04-2025;LAAG\n", type_code="KLACHT")
    mapping = services.suggest_mapping_for(job)
    summary = validated(job, mapping)
    codes = {p.code for p in summary.warnings}
    assert {"set_by_type", "done_from_date"} <= codes
    set_by_type = next(p for p in summary.warnings if p.code == "set_by_type")
    assert set_by_type.message == "Regarding sales relation is set to yes: type KLACHT sets it on every item (R13)."


def test_the_check_page_shows_the_filled_in_values_as_warnings_not_in_the_file(importeur, client):
    job = start_job("Relatienummer;Onderwerp\n10001;Brief\n")
    validated(job, services.suggest_mapping_for(job))
    page = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "Submit date filled in" in page and "(not in the file)" in page
    assert "Submitter filled in" in page


def test_the_history_page_names_the_columns_not_imported_by_letter_also_without_a_name(demo):
    from imports import presenting

    job = start("Relatienummer;;Onderwerp\n10001;x;Brief;y\n")
    mapping = {**services.suggest_mapping_for(job), "not_imported": [{"letter": "B"}, {"letter": "D"}]}
    assert services.set_mapping(job=job, mapping=mapping) == []
    services.validate_import(job=job)
    page = presenting.job_page(job)
    assert page["not_imported"] == "(B) and (D)"
