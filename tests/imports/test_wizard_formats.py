"""Step c: how each mapped date and number column is written (day or month first, decimal
comma or point), decided from the column's values and shown with the evidence; a column
whose values do not decide is asked once; the decision is kept with the mapping."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dossier.models import ItemType
from imports import services
from imports.models import ImportJob
from tests.imports.wizard import form_data, map_url, remembered, start_job

pytestmark = pytest.mark.django_db

MONTH_FIRST = (
    "Relatienummer;Onderwerp;Instuurdatum\n10001;Brief;03/25/2026\n10002;CV;04/13/2026\n10003;Brief;04/01/2026\n"
)
UNDECIDED = "Relatienummer;Onderwerp;Instuurdatum\n10001;Brief;03-04-2025\n10002;CV;04-04-2025\n"
SALARIES = "Relatienummer;Salaris;Ingangsdatum\n10001;3.250,50;14-01-2026\n10002;2.800,00;01-02-2026\n"


def format_of(response, code: str) -> dict:
    return next(row["format"] for row in response.context["rows"] if row["field"].code == code)


def test_a_month_first_column_is_detected_and_shown_with_its_evidence(importeur, client):
    job = start_job(MONTH_FIRST)
    response = client.get(map_url(job))
    shown = format_of(response, "submitted_at")
    assert str(shown["lines"][0]) == ("Month first: 2 of 3 values have a second part above 12 (such as 03/25/2026).")
    assert shown["undecided"] is False
    assert shown["field"].value() == ""  # as its values say
    page = response.content.decode()
    assert "Month first: 2 of 3 values have a second part above 12 (such as 03/25/2026)." in page
    assert "How the column is written, from its first 1000 rows:" in page

    response = client.post(map_url(job), form_data(response))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["submitted_at"] == {"column": "Instuurdatum", "date_order": "mdy"}


def test_the_check_reads_every_row_of_a_month_first_column_month_first(importeur, client, checked_at_once):
    job = start_job(MONTH_FIRST)
    checked_at_once(client, map_url(job), form_data(client.get(map_url(job))))
    job.refresh_from_db()
    assert (job.state, job.error_count) == (ImportJob.State.VALIDATED, 0)
    services.commit_import(job=job, skip_invalid=False)
    dates = sorted(
        timezone.localtime(item.submitted_at).date() for item in ImportJob.objects.get(pk=job.pk).items.all()
    )
    assert dates == [dt.date(2026, 3, 25), dt.date(2026, 4, 1), dt.date(2026, 4, 13)]


def test_a_column_whose_values_do_not_decide_is_asked_before_anything_is_saved(importeur, client):
    job = start_job(UNDECIDED)
    response = client.get(map_url(job))
    shown = format_of(response, "submitted_at")
    assert shown["undecided"] is True
    assert "none of the 2 values has a part above 12" in str(shown["lines"][0])

    data = form_data(response)
    data["column_relation"] = ""  # the mapping's own problems are shown with the question
    response = client.post(map_url(job), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["date_order_submitted_at"] == [
        "The values of column 'Instuurdatum' do not say whether the day or the month comes first: choose day first or month first."
    ]
    assert "column_relation" in errors
    job.refresh_from_db()
    assert (job.state, job.mapping) == (ImportJob.State.UPLOADED, {})

    data = form_data(client.get(map_url(job)))
    data["date_order_submitted_at"] = "mdy"
    assert client.post(map_url(job), data).status_code == 302
    job.refresh_from_db()
    assert job.mapping["submitted_at"]["date_order"] == "mdy"


def test_the_show_button_asks_nothing_and_saves_nothing(importeur, client):
    job = start_job(UNDECIDED)
    data = form_data(client.get(map_url(job)))
    response = client.post(map_url(job), {**data, "refresh": "1"})
    assert response.status_code == 200
    assert not response.context["form"].errors
    job.refresh_from_db()
    assert job.state == ImportJob.State.UPLOADED


def test_a_remembered_decision_is_shown_as_remembered_and_can_be_changed(importeur, client):
    job = start_job(UNDECIDED)
    remembered(
        job,
        {
            "relation": {"column": "Relatienummer"},
            "subject": {"column": "Onderwerp"},
            "submitted_at": {"column": "Instuurdatum", "date_order": "mdy"},
        },
    )
    response = client.get(map_url(job))
    shown = format_of(response, "submitted_at")
    assert shown["field"].value() == "mdy"
    assert shown["undecided"] is False
    assert str(shown["remembered"]) == "month first (12-31-2025)"
    assert "Remembered with the mapping: month first (12-31-2025). Change it below if it is wrong." in (
        response.content.decode()
    )

    data = form_data(response)
    data["date_order_submitted_at"] = "dmy"
    response = client.post(map_url(job), data)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["submitted_at"]["date_order"] == "dmy"


def test_a_remembered_decision_that_the_values_contradict_says_which_rows_will_not_fit(importeur, client):
    job = start_job(MONTH_FIRST)
    job.mapping = {}
    remembered(
        job,
        {
            "relation": {"column": "Relatienummer"},
            "submitted_at": {"column": "Instuurdatum", "date_order": "dmy"},
        },
    )
    shown = format_of(client.get(map_url(job)), "submitted_at")
    assert str(shown["lines"][-1]) == (
        "Not fitting day first (31-12-2025), so row problems unless the order is changed: 2 of 3 values (such as 03/25/2026)."
    )


def test_a_decimal_comma_column_is_decided_and_kept_with_the_mapping(importeur, client, checked_at_once):
    job = start_job(SALARIES, type_code="CONTR")
    response = client.get(map_url(job))
    shown = format_of(response, "free_Salaris")
    assert str(shown["lines"][0]) == "Decimal comma: 2 of 2 values show it (such as 3.250,50)."
    assert format_of(response, "free_Ingangsdatum")["undecided"] is False  # 14-01-2026: day first
    response = checked_at_once(client, map_url(job), form_data(response))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.mapping["free_Salaris"]["decimal"] == ","
    assert job.mapping["free_Ingangsdatum"]["date_order"] == "dmy"
    assert (job.state, job.error_count) == (ImportJob.State.VALIDATED, 0)


def test_a_number_column_of_one_separator_and_three_digits_is_asked(importeur, client, checked_at_once):
    job = start_job("Relatienummer;Salaris;Ingangsdatum\n10001;3,250;2026-01-14\n", type_code="CONTR")
    response = client.post(map_url(job), form_data(client.get(map_url(job))))
    assert response.context["form"].errors["decimal_free_Salaris"] == [
        "The values of column 'Salaris' do not say whether it has a decimal comma or a decimal point: choose one."
    ]
    data = form_data(response)
    data["decimal_free_Salaris"] = "."
    assert checked_at_once(client, map_url(job), data).status_code == 302
    job.refresh_from_db()
    assert job.mapping["free_Salaris"] == {"column": "Salaris", "decimal": "."}
    assert job.mapping["free_Ingangsdatum"] == {"column": "Ingangsdatum", "date_order": "ymd"}
    services.commit_import(job=job, skip_invalid=False)
    item = ImportJob.objects.get(pk=job.pk).items.get()
    assert Decimal(str(item.free_values["Salaris"])) == Decimal("3250")


def test_a_fixed_value_gets_no_decision(importeur, client):
    job = start_job(UNDECIDED)
    data = form_data(client.get(map_url(job)))
    data.update(column_submitted_at="", fixed_submitted_at="03-04-2025 10:00", not_imported=["C"])
    assert client.post(map_url(job), data).status_code == 302
    job.refresh_from_db()
    assert job.mapping["submitted_at"] == {"fixed": "03-04-2025 10:00"}


def test_the_evidence_is_shown_in_dutch(importeur, client):
    job = start_job(MONTH_FIRST)
    response = client.get(map_url(job), HTTP_ACCEPT_LANGUAGE="nl")
    page = response.content.decode()
    assert "Maand eerst: 2 van 3 waarden hebben een tweede deel boven 12 (zoals 03/25/2026)." in page


def test_a_type_without_date_or_number_fields_shows_no_question(importeur, client):
    job = start_job("Relatienummer;Contactpersoon;Onderwerp\n20001;30001;Brief\n", type_code="KLACHT")
    assert ItemType.objects.get(code="KLACHT")
    response = client.get(map_url(job))
    assert format_of(response, "subject") is None
