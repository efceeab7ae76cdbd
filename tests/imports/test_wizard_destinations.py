"""The check page's "Destinations not found" (issue 16, part 2): each relation reference that
named nothing once, with its rows and candidates; the choices kept in the mapping and the file
checked again without a new upload."""

import pytest
from django.urls import reverse

from imports import services
from imports.models import ImportJob
from tests.imports.wizard import checked_job, form_data, map_url, start_job, user

pytestmark = pytest.mark.django_db

# E0003 is the employee number of 10003 Carla Bakker (Leeuwarden), the demo's SOLL needs an employee.
NAMED = (
    "Relatienummer;Onderwerp;Instuurdatum\n"
    "E0003;Sollicitatiebrief;13-04-2025\n"
    "Carla Bakker;CV;14-04-2025\n"
    "E0003;Brief;15-04-2025\n"
    "Niemand;Brief;16-04-2025\n"
    "10001;Brief;17-04-2025\n"
)


def validated(text: str = NAMED) -> ImportJob:
    return checked_job(text)


def test_each_reference_is_listed_once_with_its_rows_and_candidates(importeur, client):
    job = validated()

    content = client.get(reverse("imports:check", args=[job.pk])).content.decode()

    assert 'id="check-destinations"' in content
    assert content.count("<code>E0003</code>") == 1
    assert "2 rows" in content
    assert '<option value="10003" selected>10003 Carla Bakker, Leeuwarden (person)</option>' in content
    assert "E0003 is the employee number of Carla Bakker: relation number 10003." in content
    assert '<select name="relation-2" id="id_relation-2">' in content  # Niemand: only "not found"
    assert "No relation you may see has a number, role number or name like Niemand." in content


def test_applying_the_choices_keeps_them_in_the_mapping_and_checks_again(importeur, client, checked_at_once):
    job = validated()
    assert job.invalid_row_count == 4

    response = checked_at_once(
        client,
        reverse("imports:destinations", args=[job.pk]),
        {"relation-0": "10003", "relation-1": "10003", "relation-2": ""},
    )

    assert response["Location"] == reverse("imports:check", args=[job.pk])
    job.refresh_from_db()
    assert job.mapping["relation"]["values"] == {"E0003": "10003", "Carla Bakker": "10003"}
    assert (job.state, job.valid_row_count, job.invalid_row_count) == ("validated", 4, 1)
    assert job.unknown_destinations == {"relation": [{"value": "Niemand", "count": 1, "rows": [5]}]}


def test_a_number_that_was_not_offered_is_not_taken(importeur, client):
    job = validated()

    client.post(reverse("imports:destinations", args=[job.pk]), {"relation-2": "10001"})

    job.refresh_from_db()
    assert "values" not in job.mapping["relation"]
    assert job.state == "validated"


def test_the_choices_need_rights_and_the_users_own_job(demo, client):
    job = validated()
    client.force_login(user("zonderrechten"))
    assert client.post(reverse("imports:destinations", args=[job.pk]), {"relation-0": "10003"}).status_code == 403
    client.force_login(user("profit"))
    assert client.post(reverse("imports:destinations", args=[job.pk]), {"relation-0": "10003"}).status_code == 404
    job.refresh_from_db()
    assert "values" not in job.mapping["relation"]


def test_the_section_is_in_the_readers_language(importeur, client):
    job = validated()

    content = client.get(reverse("imports:check", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert "Bestemmingen niet gevonden" in content
    assert "10003 Carla Bakker, Leeuwarden (persoon)" in content
    assert "E0003 is het medewerkernummer van Carla Bakker: relatienummer 10003." in content
    assert "niet gevonden: laat deze rijen ongeldig" in content


def test_the_next_file_of_the_same_kind_finds_the_destinations_without_a_question(importeur, client):
    first = validated()
    services.choose_destinations(job=first, user=importeur, choices={"relation-0": "10003", "relation-1": "10003"})
    services.validate_import(job=first)
    services.remember_mapping(job=ImportJob.objects.get(pk=first.pk))
    job = start_job(NAMED)

    client.post(map_url(job), form_data(client.get(map_url(job))))
    job.refresh_from_db()
    assert job.mapping["relation"]["values"] == {"E0003": "10003", "Carla Bakker": "10003"}
    services.run_validation(job_id=str(job.pk))  # queued by the saved mapping

    job.refresh_from_db()
    assert job.invalid_row_count == 1
    assert [entry["value"] for entry in job.unknown_destinations["relation"]] == ["Niemand"]


def test_a_contact_named_by_its_person_is_offered_within_the_rows_relation(importeur, client):
    # Contact 30004 is person 10004 Daan Visser (Zwolle) at organisation 20004.
    text = "Relatienummer;Contactpersoon;Onderwerp\n20004;Daan Visser;Brief\n20004;10004;Brief\n"
    job = checked_job(text, type_code="CORR")

    content = client.get(reverse("imports:check", args=[job.pk])).content.decode()

    assert content.count('<option value="30004" selected>30004 Daan Visser at 20004 ') == 2
    assert "Contacts whose person has the number or a name like" in content


def test_a_blocked_candidate_says_blocked_and_a_row_naming_it_says_an_administrator_can_unblock_it(importeur, client):
    job = validated("Relatienummer;Onderwerp;Instuurdatum\nKwartel Verhuur;Brief;13-04-2025\n20050;Brief;14-04-2025\n")

    content = client.get(reverse("imports:check", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<option value="20050">20050 Kwartel Verhuur B.V., Zwolle (organisation): blocked</option>' in content
    assert "its rows stay invalid until an administrator unblocks it" in content
    assert "Relation 20050 Kwartel Verhuur B.V. is blocked: it gets no new dossier items." in content
    assert "ask an administrator to unblock it" in content
