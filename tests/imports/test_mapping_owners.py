"""Mappings belong to their user (issue 14, part 2): a remembered mapping is offered to the
user who made it, and only once it worked (the wizard's check ran; a command-line run that
was neither refused nor failed); sharing one with the type's other users is an explicit act
of a user who may change the type, and its fixed values reach them only when they choose it."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from dossier.demo import STAFF_GROUP
from dossier.models import ItemType
from imports import services
from imports.models import ImportJob, SavedMapping
from tests.factories import UserFactory
from tests.imports.commands import import_items
from tests.imports.wizard import start_job, user

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
ONLY_SUBJECTS = "Onderwerp\nBrief\nCV\n"
FIXED = {"relation": {"fixed": "10002"}, "subject": {"column": "Onderwerp"}}


@pytest.fixture
def bea(demo):
    """A second user of SOLL, with InSite rights, who may not change types."""
    bea = UserFactory(username="bea", is_staff=True, has_insite_rights=True)
    bea.groups.add(Group.objects.get(name=STAFF_GROUP))
    ItemType.objects.get(code="SOLL").authorised_users.add(bea)
    return bea


def map_url(job) -> str:
    return reverse("imports:map", args=[job.pk])


def form_data(response) -> dict[str, str]:
    form = response.context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def remembered_by(username: str, text: str = ONLY_SUBJECTS, mapping: dict | None = None) -> ImportJob:
    """A job of `username` whose mapping worked and was remembered."""
    job = start_job(text, username=username)
    assert services.set_mapping(job=job, mapping=mapping or FIXED) == []
    services.remember_mapping(job=job)
    return job


def may_change_types(name: str):
    person = user(name)
    person.user_permissions.add(Permission.objects.get(codename="change_itemtype", content_type__app_label="dossier"))
    return user(name)  # a fresh instance: permissions are cached on the object


# --- offered to its owner only ----------------------------------------------------------------


def test_a_remembered_mapping_is_offered_to_the_user_who_made_it(demo):
    remembered_by("importeur")
    assert services.suggest_mapping_for(start_job(ONLY_SUBJECTS, username="importeur")) == FIXED


def test_another_users_remembered_mapping_is_not_offered(bea):
    remembered_by("importeur")
    assert "relation" not in services.suggest_mapping_for(start_job(ONLY_SUBJECTS, username="bea"))


def test_another_users_fixed_values_never_reach_the_mapping_page(bea, client):
    remembered_by("importeur", mapping={"relation": {"fixed": "10002"}, "subject": {"fixed": "GEHEIM-VAST"}})
    client.force_login(bea)
    response = client.get(map_url(start_job(ONLY_SUBJECTS, username="bea")))
    content = response.content.decode()
    assert response.status_code == 200
    assert response.context["remembered"] is None
    assert "GEHEIM-VAST" not in content and 'value="10002"' not in content
    assert "importeur" not in content


def test_the_owner_sees_his_remembered_mapping_on_the_mapping_page(demo, client):
    remembered_by("importeur")
    client.force_login(user("importeur"))
    response = client.get(map_url(start_job(ONLY_SUBJECTS)))
    assert response.context["remembered"].owner == user("importeur")
    assert 'value="10002"' in response.content.decode()
    assert "Remembered: you used this mapping before" in response.content.decode()


def test_the_command_line_does_not_use_another_users_remembered_mapping(bea, tmp_path):
    remembered_by(
        "importeur",
        text="Relatienummer;Onderwerp\n10001;Brief\n",
        mapping={
            "relation": {"column": "Relatienummer"},
            "subject": {"fixed": "GEHEIM-VAST"},
        },
    )
    path = tmp_path / "rows.csv"
    path.write_text("Relatienummer;Onderwerp\n10001;Brief\n", encoding="utf-8")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "bea", "--dry-run")
    assert code == 0
    assert "remembered" not in err and "GEHEIM-VAST" not in err and "importeur" not in err


# --- sharing is an explicit act ---------------------------------------------------------------


def test_a_user_who_may_change_the_type_shares_a_mapping_under_a_name(demo, client, settings):
    settings.TASKS = IMMEDIATE
    client.force_login(may_change_types("importeur"))
    job = start_job(ONLY_SUBJECTS)
    data = form_data(client.get(map_url(job)))
    data.update(column_relation="", fixed_relation="10002", share_as="  Sollicitaties   standaard ")
    response = client.post(map_url(job), data)
    assert response.status_code == 302
    shared = SavedMapping.objects.get(shared=True)
    assert (shared.name, shared.owner, shared.mapping["relation"]) == (
        "Sollicitaties standaard",
        user("importeur"),
        {"fixed": "10002"},
    )


def test_a_user_who_may_not_change_types_is_not_offered_sharing_and_cannot_share(bea, client):
    client.force_login(bea)
    job = start_job(ONLY_SUBJECTS, username="bea")
    response = client.get(map_url(job))
    assert "share_as" not in response.context["form"].fields
    data = form_data(response)
    data.update(column_relation="", fixed_relation="10002", share_as="Van Bea")
    assert client.post(map_url(job), data).status_code == 302
    assert not SavedMapping.objects.filter(shared=True).exists()
    with pytest.raises(services.ImportRefused, match="Only a user who may change item types can share"):
        services.share_mapping(job=ImportJob.objects.get(pk=job.pk), user=bea, name="Van Bea")


def test_a_user_who_may_change_types_but_not_use_this_one_cannot_share_for_it(demo):
    job = remembered_by("importeur")
    profit = may_change_types("profit")
    assert "You may not use type SOLL" in services.sharing_refusal(profit, job.item_type)


def test_a_shared_mapping_is_a_choice_for_the_types_users_never_applied_unasked(bea, client):
    job = remembered_by("importeur")
    shared = services.share_mapping(job=job, user=may_change_types("importeur"), name="Standaard")
    client.force_login(bea)
    own = start_job(ONLY_SUBJECTS, username="bea")

    offered = client.get(map_url(own))
    assert offered.context["shared"] == [shared]
    assert offered.context["chosen"] is None
    assert 'value="10002"' not in offered.content.decode()

    chosen = client.get(map_url(own) + f"?shared={shared.pk}")
    assert chosen.context["chosen"] == shared
    assert 'value="10002"' in chosen.content.decode()
    assert "The shared mapping 'Standaard'" in chosen.content.decode()


def test_a_shared_mapping_is_not_offered_to_a_user_who_may_not_use_its_type(demo):
    job = remembered_by("importeur")
    shared = services.share_mapping(job=job, user=may_change_types("importeur"), name="Standaard")
    assert shared not in SavedMapping.objects.visible_to(user("profit"))
    profit_job = start_job("Relatienummer;Onderwerp\n10001;Brief\n", username="profit", type_code="CORR")
    assert services.shared_mappings(job=profit_job, user=user("profit")) == []


def test_an_unknown_shared_choice_applies_nothing(bea, client):
    client.force_login(bea)
    response = client.get(map_url(start_job(ONLY_SUBJECTS, username="bea")) + "?shared=not-a-number")
    assert response.status_code == 200 and response.context["chosen"] is None


# --- nothing remembered from a refused or failed run ----------------------------------------


def test_the_wizard_remembers_a_mapping_once_the_check_ran(demo, client, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    client.force_login(user("importeur"))
    job = start_job(ONLY_SUBJECTS)
    data = form_data(client.get(map_url(job)))
    data.update(column_relation="", fixed_relation="10002")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(map_url(job), data).status_code == 302
    assert ImportJob.objects.get(pk=job.pk).state == "validated"
    assert SavedMapping.objects.get(owner=user("importeur")).mapping["relation"] == {"fixed": "10002"}


def test_the_wizard_remembers_nothing_from_a_check_that_failed(demo, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    from imports import tasks

    job = start_job(ONLY_SUBJECTS)
    assert services.set_mapping(job=job, mapping=FIXED) == []
    job.file.storage.delete(job.file.name)  # the stored sheet is gone: the check fails
    with django_capture_on_commit_callbacks(execute=True):
        tasks.start_validation(job=job)
    assert ImportJob.objects.get(pk=job.pk).state == "failed"
    assert not SavedMapping.objects.exists()


def test_the_wizard_remembers_nothing_when_a_mapping_is_only_saved(demo):
    job = start_job(ONLY_SUBJECTS)
    assert services.set_mapping(job=job, mapping=FIXED) == []
    assert not SavedMapping.objects.exists()


@pytest.fixture
def rows_csv(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Relatienummer;Onderwerp;Wat\n10001;Brief;\n", encoding="utf-8")  # Wat: no data
    return path


def mapping_file(tmp_path, mapping: dict):
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def test_the_command_line_remembers_the_mapping_of_a_run_that_stored_rows(demo, rows_csv):
    code, _out, _err = import_items(rows_csv, "--type", "CORR", "--user", "importeur")
    assert code == 0
    assert SavedMapping.objects.get(owner=user("importeur")).mapping["relation"] == {"column": "Relatienummer"}


def test_a_refused_command_line_run_does_not_overwrite_the_remembered_mapping(demo, rows_csv, tmp_path):
    assert import_items(rows_csv, "--type", "CORR", "--user", "importeur")[0] == 0
    before = SavedMapping.objects.get().mapping
    other = mapping_file(tmp_path, {"relation": "Relatienummer", "subject": "Wat"})
    code, _out, err = import_items(rows_csv, "--type", "CORR", "--user", "importeur", "--mapping", other)
    assert code == 2 and "imported before" in err  # the same file again, without --again
    assert SavedMapping.objects.get().mapping == before


def test_a_command_line_run_with_invalid_rows_remembers_nothing(demo, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Relatienummer;Onderwerp\n99999999;Brief\n", encoding="utf-8")
    code, _out, _err = import_items(path, "--type", "CORR", "--user", "importeur")
    assert code == 1
    assert not SavedMapping.objects.exists()


def test_a_clean_dry_run_remembers_the_mapping(demo, rows_csv):
    code, _out, _err = import_items(rows_csv, "--type", "CORR", "--user", "importeur", "--dry-run")
    assert code == 0
    assert SavedMapping.objects.filter(owner=user("importeur")).count() == 1


def test_the_command_line_uses_a_shared_mapping_only_when_named(bea, tmp_path):
    job = remembered_by("importeur")
    services.share_mapping(job=job, user=may_change_types("importeur"), name="Standaard")
    path = tmp_path / "rows.csv"
    path.write_text(ONLY_SUBJECTS, encoding="utf-8")
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "bea", "--dry-run")
    assert code == 2 and "Organisation/person is required" in err  # not applied unasked
    code, _out, err = import_items(
        path, "--type", "SOLL", "--user", "bea", "--dry-run", "--shared-mapping", "Standaard"
    )
    assert code == 0, err
    assert "Mapping shared as 'Standaard' for type SOLL used." in err
    code, _out, err = import_items(path, "--type", "SOLL", "--user", "bea", "--dry-run", "--shared-mapping", "Nope")
    assert code == 2 and "No mapping is shared as 'Nope' for type SOLL" in err


# --- the migration ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_each_existing_mapping_to_its_last_user_unshared(demo):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("imports", "0006_undone_by")], [("imports", "0007_saved_mapping_owner")]
    soll = ItemType.objects.get(code="SOLL")
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("imports", "SavedMapping")
        old.objects.create(item_type_id=soll.pk, header_key="a" * 64, headers=["A"], updated_by_id=user("importeur").pk)
        old.objects.create(item_type_id=soll.pk, header_key="b" * 64, headers=["B"], updated_by_id=None)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("imports", "SavedMapping")
        rows = {(m.header_key[0], m.owner_id, m.shared, m.name) for m in new.objects.all()}
        assert rows == {("a", user("importeur").pk, False, ""), ("b", None, False, "")}
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())  # every app back to its latest
