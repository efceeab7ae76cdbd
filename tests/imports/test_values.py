"""Values, once per distinct value (issue 16 part 1): the check collects the distinct values
that are none of their field's values, the check page offers the allowed values for each with
a suggestion, the choices go into the mapping's value map ("values"), the file is checked
again without a new upload, and the map is remembered and shared as mappings are."""

import pytest
from django.urls import reverse

from imports import services
from imports.models import ImportJob, SavedMapping
from imports.pipeline.mapping import check_mapping, shape_problems
from imports.pipeline.outcomes import Problem, Summary, UnknownValues
from tests.imports.wizard import checked_job, form_data, map_url, start_job, user

pytestmark = pytest.mark.django_db

KLACHT_CSV = (
    "Relatienummer;Onderwerp;Ernst;Prioriteit\n"
    "20001;Te laat;middel;hoog\n"
    "20002;Kapot;Laag ;normal\n"
    "20003;Fout;middel;\n"
    "20004;Weg;zeer ernstig;urgent\n"
)


def klacht_job(text: str = KLACHT_CSV, username: str = "importeur") -> ImportJob:
    return checked_job(text, type_code="KLACHT", username=username, name="klachten.csv")


def check_url(job) -> str:
    return reverse("imports:check", args=[job.pk])


# --- collecting the distinct values ---------------------------------------------------------


def problem(row: int, value: str, code: str = "invalid_choice", field: str = "characteristic_1") -> Problem:
    return Problem(row=row, column="Ernst", value=value, code=code, message="", field=field)


def test_each_distinct_value_is_counted_once_with_its_first_rows():
    found = UnknownValues()
    for row, value in [(2, "middel"), (3, "Mid"), (4, "middel"), (5, "middel")]:
        found.add(problem(row, value))
    values = found.as_dict()["values"]
    assert [(v["value"], v["rows"], v["first_rows"]) for v in values] == [
        ("middel", 3, [2, 4, 5]),
        ("Mid", 1, [3]),
    ]


def test_other_problems_and_warnings_are_no_values_not_recognised():
    found = UnknownValues()
    found.add(problem(2, "31-02-2025", code="invalid_date", field="submitted_at"))
    found.add(Problem(3, "Ernst", "middel", "invalid_choice", "", "characteristic_1", is_warning=True))
    assert found.as_dict()["values"] == []


def test_beyond_the_limit_only_the_rows_of_further_values_are_counted():
    found = UnknownValues(limit=2)
    for row, value in enumerate(["a", "b", "c", "d", "a"], start=2):
        found.add(problem(row, value))
    data = found.as_dict()
    assert sorted(v["value"] for v in data["values"]) == ["a", "b"]
    assert data["more_rows"] == {"characteristic_1": 2}


def test_the_summary_collects_them_from_the_errors():
    summary = Summary()
    summary.add_problem(problem(2, "middel"))
    assert summary.unknown_values.as_dict()["values"][0]["value"] == "middel"


def test_the_check_keeps_the_values_not_recognised_on_the_job(demo):
    job = klacht_job()
    found = {(v["field"], v["value"]): v["rows"] for v in job.unknown_values["values"]}
    assert found == {
        ("characteristic_1", "middel"): 2,
        ("characteristic_1", "zeer ernstig"): 1,
        ("priority", "urgent"): 1,
    }


# --- the value map in the mapping ------------------------------------------------------------


def test_a_value_map_is_part_of_a_mapping_entry(demo):
    job = klacht_job()
    mapping = {**job.mapping, "characteristic_1": {"column": "Ernst", "values": {"middel": "MIDDEN"}}}
    assert check_mapping(services.spec_for(job), job.headers, mapping) == []


@pytest.mark.parametrize(
    "values", [["middel"], {"middel": ""}, {"": "MIDDEN"}, {"middel": None}, {"middel": True}, "MIDDEN"]
)
def test_a_value_map_that_is_no_object_of_texts_is_refused(values):
    problems = shape_problems({"characteristic_1": {"column": "Ernst", "values": values}})
    assert [p.code for p in problems] == ["mapping_malformed"]


def test_a_value_the_field_does_not_take_is_refused_by_name(demo):
    job = klacht_job()
    mapping = {**job.mapping, "characteristic_1": {"column": "Ernst", "values": {"middel": "GEMIDDELD"}}}
    problems = check_mapping(services.spec_for(job), job.headers, mapping)
    assert [p.code for p in problems] == ["unknown_value_target"]
    assert "GEMIDDELD" in problems[0].message and "LAAG, MIDDEN, HOOG" in problems[0].message


def test_a_field_that_takes_any_text_takes_no_value_map(demo):
    job = klacht_job()
    mapping = {**job.mapping, "subject": {"column": "Onderwerp", "values": {"a": "b"}}}
    assert [p.code for p in check_mapping(services.spec_for(job), job.headers, mapping)] == ["values_not_listed"]


def test_the_value_map_is_applied_to_the_cell_before_it_is_read(demo):
    job = klacht_job()
    assert services.choose_values(job=job, choices={"characteristic_1": {"middel": "MIDDEN"}}) == []
    services.validate_import(job=job)
    job.refresh_from_db()
    assert (job.valid_row_count, job.invalid_row_count) == (3, 1)
    assert {v["value"] for v in job.unknown_values["values"]} == {"zeer ernstig", "urgent"}


# --- the check page --------------------------------------------------------------------------


def test_the_check_page_lists_each_value_with_its_rows_and_a_suggestion(importeur, client, demo):
    job = klacht_job()
    response = client.get(check_url(job))
    rows = {row.value: row for row in response.context["unknown"].rows}
    assert set(rows) == {"middel", "zeer ernstig", "urgent"}
    assert (rows["middel"].rows, rows["middel"].first_rows, rows["middel"].suggested) == (2, [2, 4], "MIDDEN")
    assert rows["zeer ernstig"].suggested is None
    assert ("high", "High") in rows["urgent"].options  # a choice's code is internal: not shown
    content = response.content.decode()
    assert "Values not recognised" in content
    assert '<option value="MIDDEN" selected>Midden (suggested)</option>' in content
    assert "leave these rows invalid" in content


def test_the_check_page_shows_the_values_in_the_viewers_language(importeur, client, demo):
    job = klacht_job()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    content = client.get(check_url(job)).content.decode()
    assert '<option value="high">Hoog</option>' in content
    assert "Waarden niet herkend" in content


def test_applying_the_choices_checks_again_without_a_new_upload(importeur, client, demo, checked_at_once):
    job = klacht_job()
    rows = {row.value: row for row in client.get(check_url(job)).context["unknown"].rows}
    data = {f"value_{rows['middel'].index}": "MIDDEN", f"value_{rows['urgent'].index}": "high"}
    data[f"value_{rows['zeer ernstig'].index}"] = ""  # leave these rows invalid
    response = checked_at_once(client, reverse("imports:values", args=[job.pk]), data)
    assert response["Location"] == check_url(job)
    job.refresh_from_db()
    assert job.state == "validated"
    assert job.mapping["characteristic_1"]["values"] == {"middel": "MIDDEN"}
    assert job.mapping["priority"]["values"] == {"urgent": "high"}
    assert (job.valid_row_count, job.invalid_row_count) == (3, 1)
    assert [v["value"] for v in job.unknown_values["values"]] == ["zeer ernstig"]
    remembered = SavedMapping.objects.get(owner=job.user, shared=False, item_type=job.item_type)
    assert remembered.mapping["characteristic_1"]["values"] == {"middel": "MIDDEN"}


def test_a_value_that_is_not_offered_is_ignored(importeur, client, demo):
    job = klacht_job()
    rows = {row.value: row for row in client.get(check_url(job)).context["unknown"].rows}
    response = client.post(reverse("imports:values", args=[job.pk]), {f"value_{rows['middel'].index}": "VERZONNEN"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert "values" not in job.mapping["characteristic_1"] and job.state == "validated"


def test_someone_elses_job_is_not_found(client, demo):
    job = klacht_job(username="admin")
    client.force_login(user("importeur"))
    assert client.post(reverse("imports:values", args=[job.pk]), {"value_0": "MIDDEN"}).status_code == 404


def test_a_user_without_rights_is_refused(client, demo):
    job = klacht_job()
    client.force_login(user("zonderrechten"))
    assert client.post(reverse("imports:values", args=[job.pk]), {"value_0": "MIDDEN"}).status_code == 403


# --- the next import of the type -------------------------------------------------------------


def remembered_choices(job) -> None:
    assert services.choose_values(job=job, choices={"characteristic_1": {"middel": "MIDDEN"}}) == []
    services.remember_mapping(job=job)


def test_the_next_import_applies_the_remembered_values_with_no_question(demo):
    remembered_choices(klacht_job())
    job = klacht_job()
    assert job.mapping["characteristic_1"]["values"] == {"middel": "MIDDEN"}
    assert {v["value"] for v in job.unknown_values["values"]} == {"zeer ernstig", "urgent"}


def test_only_the_owners_remembered_values_apply(demo):
    remembered_choices(klacht_job(username="admin"))
    job = klacht_job()
    assert "values" not in job.mapping["characteristic_1"]


def test_a_shared_mapping_carries_its_values(demo):
    job = klacht_job(username="admin")
    assert services.choose_values(job=job, choices={"characteristic_1": {"middel": "MIDDEN"}}) == []
    shared = services.share_mapping(job=job, user=user("admin"), name="Klachten")
    other = start_job(KLACHT_CSV, type_code="KLACHT", name="klachten.csv")
    mapping = services.suggest_mapping_for(other, chosen=shared)
    assert mapping["characteristic_1"]["values"] == {"middel": "MIDDEN"}


def test_the_mapping_page_lists_the_remembered_values_changeable_and_removable(importeur, client, demo):
    remembered_choices(klacht_job())
    job = start_job(KLACHT_CSV, type_code="KLACHT", name="klachten.csv")
    page = client.get(map_url(job))
    content = page.content.decode()
    assert "Remembered values" in content and "middel" in content
    data = form_data(page)
    assert data["value_0"] == "MIDDEN"
    data["value_0"] = "HOOG"
    client.post(map_url(job), data)
    job.refresh_from_db()
    assert job.mapping["characteristic_1"]["values"] == {"middel": "HOOG"}
    data["value_0"] = ""
    job.state = "uploaded"
    job.save()
    client.post(map_url(job), data)
    job.refresh_from_db()
    assert "values" not in job.mapping["characteristic_1"]


def test_the_history_shows_the_values_chosen_with_the_mapping(demo):
    from imports.presenting import mapping_rows

    job = klacht_job()
    services.choose_values(job=job, choices={"characteristic_1": {"middel": "MIDDEN", "Mid": "MIDDEN"}})
    rows = {row.code: row for row in mapping_rows(job)}
    assert rows["characteristic_1"].values == "Mid: MIDDEN; middel: MIDDEN"
    assert rows["subject"].values == ""


# --- the check page's layout (issue 16 part 5) ------------------------------------------------


def test_the_counts_and_the_ways_on_come_first_the_import_as_the_primary_button(importeur, client, demo):
    job = klacht_job()
    content = client.get(check_url(job)).content.decode()
    order = [
        content.index(marker)
        for marker in (
            'id="check-counts"',
            'id="import-valid"',
            'id="check-correct"',
            'id="discard-button"',
            'id="check-values"',
            'id="history-problems-report"',
        )
    ]
    assert order == sorted(order)
    assert 'class="button default" id="import-valid"' in content


def test_a_checked_import_that_will_not_be_continued_is_dropped_and_its_files_removed(importeur, client, demo):
    job = klacht_job()
    response = client.post(reverse("imports:discard", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "cancelled" and not job.file and job.files_removed_at
    assert job.cancelled_by == importeur and job.cancelled_at
