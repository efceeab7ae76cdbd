"""Step c of the wizard: every field of the type with its column or a fixed value, samples,
required fields left unmapped and columns not imported shown before any checking, the
mapping saved and remembered (services.set_mapping)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from dossier.models import Relation
from imports import services
from imports.models import ImportJob, SavedMapping
from imports.pipeline.mapping import header_key
from tests.imports.wizard import start_job, user

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(demo, client):
    client.force_login(user("importeur"))
    return start_job()


def map_url(job) -> str:
    return reverse("imports:map", args=[job.pk])


def form_data(response) -> dict[str, str]:
    """What the page's form would send as it is."""
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def test_it_shows_every_field_of_the_type_with_its_matched_column(job, client):
    response = client.get(map_url(job))
    assert response.status_code == 200
    rows = {row["field"].code: row for row in response.context["rows"]}
    spec = services.spec_for(job)
    assert list(rows) == [f.code for f in spec.fillable_fields]
    assert rows["relation"]["column"].value() == "A"
    assert rows["relation"]["required"] is True
    assert rows["relation"]["sample"] == ["10001", "10002"]
    assert rows["subject"]["column"].value() == "B"
    assert b"csrfmiddlewaretoken" in response.content


def test_the_submit_date_column_is_mapped_to_the_submit_date(job, client):
    """R10: a submit date in the file is the items' submit date, not the import's moment."""
    rows = {row["field"].code: row for row in client.get(map_url(job)).context["rows"]}
    assert rows["submitted_at"]["column"].value() == "C"


@pytest.mark.parametrize("header", ["Submitted on", "Datum ingestuurd", "Instuurdatum", "Ingestuurd op"])
def test_the_usual_submit_date_headers_are_matched(demo, header):
    job = start_job(f"Relatienummer;Onderwerp;{header}\n10001;Brief;03-04-2025\n")
    assert services.suggest_mapping_for(job)["submitted_at"] == {"column": header}


def test_a_column_no_field_takes_is_shown_as_not_imported(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Relatienummer;Onderwerp;Afdeling\n10001;Brief;HR\n")
    response = client.get(map_url(job))
    columns = {c["header"]: c for c in response.context["columns"]}
    assert columns["Afdeling"]["field"] is None
    assert columns["Afdeling"]["sample"] == ["HR"]
    assert columns["Relatienummer"]["field"] == "Organisation/person"
    assert "not imported" in response.content.decode()


def test_a_required_field_left_unmapped_is_shown_before_saving(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Naam;Onderwerp\nAnna;Brief\n")
    response = client.get(map_url(job))
    rows = {row["field"].code: row for row in response.context["rows"]}
    assert rows["relation"]["unfed"] is True
    assert "Required: choose a column or a fixed value." in response.content.decode()


def test_saving_stores_the_mapping_and_goes_to_the_check_with_the_validation_queued(job, client):
    data = form_data(client.get(map_url(job)))
    data["date_order_submitted_at"] = "dmy"  # 03-04-2025 and 04-04-2025 could be either
    response = client.post(map_url(job), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:check", args=[job.pk])
    job.refresh_from_db()
    assert job.state == ImportJob.State.VALIDATING
    assert job.mapping == {
        "relation": {"column": "Relatienummer"},
        "subject": {"column": "Onderwerp"},
        "submitted_at": {"column": "Instuurdatum", "date_order": "dmy"},
    }
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown == [
        "The mapping of rows.csv was saved; once its rows are checked, it is offered to you again for files with the same columns."
    ]
    assert not SavedMapping.objects.exists()  # remembered once the check has run


def test_a_required_field_left_unmapped_is_refused_with_its_sentence(job, client):
    data = form_data(client.get(map_url(job)))
    data["column_relation"] = ""
    response = client.post(map_url(job), data)
    assert response.status_code == 200
    assert response.context["form"].errors["column_relation"] == [
        "Organisation/person is required: choose the column that holds it, or a fixed value."
    ]
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED


def test_r14_the_relation_may_be_a_fixed_value(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Onderwerp\nBrief\nCV\n")
    data = form_data(client.get(map_url(job)))
    data.update(column_relation="", fixed_relation="10001")
    response = client.post(map_url(job), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["relation"] == {"fixed": "10001"}


def test_r19_a_fixed_relation_that_is_a_role_number_gets_the_number_to_use(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Onderwerp\nBrief\n")
    data = form_data(client.get(map_url(job)))
    data.update(column_relation="", fixed_relation="E0001")
    response = client.post(map_url(job), data)
    assert response.status_code == 200
    assert "Use relation number 10001 instead" in response.context["form"].errors["fixed_relation"][0]


def test_a_fixed_date_is_read_as_every_rows_would_be(job, client):
    data = form_data(client.get(map_url(job)))
    data.update(column_submitted_at="", fixed_submitted_at="31-02-2025")
    response = client.post(map_url(job), data)
    assert response.status_code == 200
    assert "fixed_submitted_at" in response.context["form"].errors


def test_a_column_and_a_fixed_value_for_one_field_are_refused(job, client):
    data = form_data(client.get(map_url(job)))
    data.update(fixed_subject="Brief")
    response = client.post(map_url(job), data)
    assert response.context["form"].errors["fixed_subject"] == [
        "Subject gets both a column and a fixed value: choose one."
    ]


def test_choices_are_offered_as_drop_downs(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Relatienummer;Onderwerp\n20001;Klacht\n", type_code="KLACHT")
    form = client.get(map_url(job)).context["form"]
    assert [value for value, _label in form.fields["fixed_characteristic_1"].choices] == ["", "LAAG", "MIDDEN", "HOOG"]
    assert [str(label) for _value, label in form.fields["fixed_characteristic_1"].choices][1:] == [
        "Laag",
        "Midden",
        "Hoog",
    ]  # by label (issue 19, part 6)
    assert [value for value, _label in form.fields["fixed_priority"].choices] == ["", "high", "normal", "low"]
    assert [value for value, _label in form.fields["fixed_done"].choices] == ["", "ja", "nee"]


def test_a_repeated_column_name_is_mapped_by_its_letter(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Relatienummer;Naam;Naam\n10001;Brief;Anna\n")
    response = client.get(map_url(job))
    assert "B: Naam" in response.content.decode() and "C: Naam" in response.content.decode()
    data = form_data(response)
    data.update(column_subject="C")
    response = client.post(map_url(job), data)
    assert response.status_code == 200  # B holds data too: never both, nor one, dropped unasked
    assert response.context["form"].errors["not_imported"] == [
        "Columns hold data that no field takes: 'Naam' (B, from row 2). On the mapping page, choose a field for each, or tick 'not imported'."
    ]
    data.update(not_imported="B")
    response = client.post(map_url(job), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["subject"] == {"letter": "C"}
    assert job.mapping["not_imported"] == [{"letter": "B"}]


def test_a_remembered_mapping_is_offered_and_shown_as_remembered(demo, client):
    client.force_login(user("importeur"))
    first = start_job("Nummer van de relatie;Wat\n10001;Brief\n")
    services.set_mapping(
        job=first, mapping={"relation": {"column": "Nummer van de relatie"}, "subject": {"column": "Wat"}}
    )
    services.remember_mapping(job=first)
    again = start_job("Wat;Nummer van de relatie\nCV;10002\n")
    response = client.get(map_url(again))
    assert response.context["remembered"] == SavedMapping.objects.get(header_key=header_key(again.headers))
    assert "Remembered" in response.content.decode()
    rows = {row["field"].code: row for row in response.context["rows"]}
    assert (rows["relation"]["column"].value(), rows["subject"]["column"].value()) == ("B", "A")


def test_the_show_button_changes_nothing(job, client):
    data = form_data(client.get(map_url(job)))
    data.update(column_subject="", refresh="1")
    response = client.post(map_url(job), data)
    assert response.status_code == 200
    columns = {c["header"]: c for c in response.context["columns"]}
    assert columns["Onderwerp"]["field"] is None
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED


def test_another_users_job_answers_404(demo, client):
    job = start_job(username="admin")
    client.force_login(user("importeur"))
    assert client.get(map_url(job)).status_code == 404
    assert client.post(map_url(job), {}).status_code == 404


def test_an_administrator_gets_404_for_another_users_job(demo, client):
    """He reads it in the history; continuing it is its owner's (tests/imports/test_other_users_imports.py)."""
    job = start_job()
    client.force_login(user("admin"))
    assert client.get(map_url(job)).status_code == 404


def test_profit_gets_404_for_importeurs_job(demo, client):
    job = start_job()
    client.force_login(user("profit"))
    assert client.get(map_url(job)).status_code == 404


def test_r02_zonderrechten_is_refused_with_the_reason(demo, client):
    job = start_job()
    client.force_login(user("zonderrechten"))
    response = client.get(map_url(job))
    assert response.status_code == 403
    assert b"You need InSite or Profit rights" in response.content


def test_a_job_past_the_mapping_goes_to_its_result(job, client):
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.DONE)
    response = client.get(map_url(job))
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:result", args=[job.pk])


def test_the_page_asks_a_bounded_number_of_queries(demo, client, django_assert_max_num_queries):
    client.force_login(user("importeur"))
    job = start_job("Relatienummer;Onderwerp;Ernst;Project\n20001;Klacht;HOOG;PRJ-001\n", type_code="KLACHT")
    with django_assert_max_num_queries(25):
        client.get(map_url(job))


# --- the relation search (R14) ----------------------------------------------------------------


def test_the_relation_search_finds_by_number_and_by_name(demo, client):
    client.force_login(user("importeur"))
    url = reverse("imports:relation-search")
    by_number = client.get(url, {"q": "1000"}).json()["results"]
    assert by_number[0] == {"number": "10001", "name": Relation.objects.get(number="10001").name}
    name = Relation.objects.get(number="20001").name
    by_name = client.get(url, {"q": name[:6]}).json()["results"]
    assert {"number": "20001", "name": name} in by_name


def test_the_relation_search_refuses_zonderrechten(demo, client):
    client.force_login(user("zonderrechten"))
    assert client.get(reverse("imports:relation-search"), {"q": "1000"}).status_code == 403


# --- the command line warns about columns not imported too -------------------------------------


def test_the_command_line_warns_about_a_column_it_does_not_import(demo, tmp_path):
    from tests.imports.commands import import_items

    path = tmp_path / "rows.csv"
    path.write_text("Relatienummer;Onderwerp;Afdeling\n10001;Brief;HR\n", encoding="utf-8")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur", "--dry-run", "--ignore-column", "C")
    assert code == 0
    assert "Warning: Column 'Afdeling' (C) is not imported: no field takes it." in err
    assert "'Relatienummer' is not imported" not in err


def test_r10_a_submitted_on_column_gives_the_items_their_submit_date(demo, tmp_path):
    from dossier.models import DossierItem
    from tests.imports.commands import import_items

    path = tmp_path / "rows.csv"
    path.write_text("Relatienummer;Onderwerp;Submitted on\n10001;Brief;13-04-2025\n", encoding="utf-8")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "importeur")
    assert code == 0, err
    assert "is not imported" not in err
    item = DossierItem.objects.get(subject="Brief", item_type__code="SOLL")
    assert timezone.localtime(item.submitted_at).date().isoformat() == "2025-04-13"


def test_a_csv_read_in_a_code_page_says_which_one_in_the_readers_language(demo, client):
    client.force_login(user("importeur"))
    job = start_job("Relatienummer;Onderwerp\n10001;Skarga z Łodzi, było źle\n".encode("cp1250"))
    response = client.get(map_url(job))
    assert "Read as Windows-1250 (Central European), told from its words." in response.content.decode()
    assert response.context["samples"]["B"] == ["Skarga z Łodzi, było źle"]
    response = client.get(map_url(job), HTTP_ACCEPT_LANGUAGE="nl")
    assert "Windows-1250 (Centraal-Europees)" in response.content.decode()


def test_a_utf8_csv_names_no_code_page(job, client):
    assert client.get(map_url(job)).context["read_as"] is None
