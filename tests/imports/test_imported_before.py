"""An earlier import of the same file names its user and id only to that user himself and to
an administrator; anyone else reads "by another user on DATE" (issue 14, part 8): in the
sentence, on the wizard's check page, in the history and on the command line."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from dossier.demo import STAFF_GROUP
from dossier.models import ItemType
from imports import services
from imports.models import ImportJob
from tests.factories import UserFactory
from tests.imports.commands import import_items
from tests.imports.wizard import SOLL_CSV, start_job, user

pytestmark = pytest.mark.django_db

FINISHED = dt.datetime(2026, 12, 1, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def bea(demo):
    bea = UserFactory(username="bea", is_staff=True, has_insite_rights=True)
    bea.groups.add(Group.objects.get(name=STAFF_GROUP))
    for code in ("SOLL", "CORR"):
        ItemType.objects.get(code=code).authorised_users.add(bea)
    return bea


def earlier_of(job: ImportJob, username: str = "importeur") -> ImportJob:
    """A done import of the same file for the same type, by `username`."""
    return ImportJob.objects.create(
        user=user(username),
        item_type=job.item_type,
        file_name="first.csv",
        file_sha256=job.file_sha256,
        state=ImportJob.State.DONE,
        items_created=2,
        finished_at=FINISHED,
    )


def test_another_user_is_told_by_another_user_on_date_without_name_or_id(bea):
    earlier = earlier_of(start_job(username="bea"))
    message = services.imported_before_message(earlier, viewer=bea)
    date = timezone.localtime(FINISHED).strftime("%d-%m-%Y %H:%M")
    assert message == f"This file was imported before for type SOLL: on {date} by another user, 2 items."
    assert "importeur" not in message and str(earlier.pk) not in message


def test_the_user_himself_is_told_his_own_earlier_import(demo):
    earlier = earlier_of(start_job())
    message = services.imported_before_message(earlier, viewer=user("importeur"))
    assert "by importeur, 2 items (import " in message and str(earlier.pk) in message


def test_an_administrator_is_told_who_imported_it_and_the_import(bea):
    earlier = earlier_of(start_job(username="bea"))
    message = services.imported_before_message(earlier, viewer=user("admin"))
    assert "by importeur" in message and str(earlier.pk) in message


def validated_for(username: str) -> ImportJob:
    job = start_job(SOLL_CSV, username=username)
    assert services.set_mapping(job=job, mapping=services.suggest_mapping_for(job)) == []
    services.validate_import(job=job)
    return ImportJob.objects.get(pk=job.pk)


def test_the_check_page_names_neither_the_other_user_nor_his_import(bea, client):
    job = validated_for("bea")
    earlier = earlier_of(job)
    client.force_login(bea)
    content = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "This file was imported before." in content
    assert "by another user: 2 items." in content
    assert "importeur" not in content and str(earlier.pk) not in content
    assert "Show those items" not in content


def test_the_check_page_names_the_users_own_earlier_import(demo, client):
    job = validated_for("importeur")
    earlier_of(job)
    client.force_login(user("importeur"))
    content = client.get(reverse("imports:check", args=[job.pk])).content.decode()
    assert "by importeur: 2 items." in content and "Show those items" in content


def test_a_refused_commit_in_the_wizard_does_not_name_the_other_user(bea, client):
    job = validated_for("bea")
    earlier_of(job)
    client.force_login(bea)
    response = client.post(reverse("imports:import", args=[job.pk]), {"rows": "all"}, follow=True)
    content = response.content.decode()
    assert "by another user, 2 items." in content and "importeur" not in content


def test_the_history_of_a_commit_refused_in_the_worker_does_not_name_the_other_user(bea):
    job = validated_for("bea")
    earlier = earlier_of(job)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.IMPORTING, heartbeat_at=None)
    services.run_commit(job_id=str(job.pk))
    job.refresh_from_db()
    assert job.state == "failed"
    assert "by another user" in job.error_message
    assert "importeur" not in job.error_message and str(earlier.pk) not in job.error_message


@pytest.fixture
def rows_csv(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Relatienummer;Onderwerp\n10001;Brief\n", encoding="utf-8")
    return path


def test_the_command_line_tells_another_user_by_another_user_only(bea, rows_csv):
    assert import_items(rows_csv, "--type", "CORR", "--user", "importeur")[0] == 0
    code, _out, err = import_items(rows_csv, "--type", "CORR", "--user", "bea")
    assert code == 2
    assert "by another user" in err and "importeur" not in err
    code, out, _err = import_items(rows_csv, "--type", "CORR", "--user", "bea", "--dry-run", "--json")
    summary = json.loads(out)
    assert summary["earlier_import"]["user"] is None and summary["earlier_import"]["job"] is None
    assert "importeur" not in out


def test_the_command_line_names_the_earlier_import_to_an_administrator(bea, rows_csv):
    assert import_items(rows_csv, "--type", "CORR", "--user", "importeur")[0] == 0
    code, _out, err = import_items(rows_csv, "--type", "CORR", "--user", "admin")
    assert code == 2 and "by importeur" in err
