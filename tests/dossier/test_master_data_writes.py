"""How a master-data import writes (issue 14): every row is checked without writing anything
and without a transaction (on SQLite the check takes no write lock), and a file without
problems is then written in one short transaction of bulk statements, all rows or none. What
the check reports (new, changed and unchanged rows, the preview, row problems) is what
checking row by row against stored rows reported."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossier import models
from dossier.resources import EmployeeResource, RelationResource
from tests.dossier.test_resources import csv, format_index, row_messages
from tests.factories import EmployeeFactory, RelationFactory, SalesRelationFactory

WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "BEGIN", "REPLACE")


def writes_in(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


@pytest.mark.django_db(transaction=True)
def test_the_check_of_a_file_writes_nothing_and_opens_no_transaction(db):
    RelationFactory(number="10001", name="Old name")
    SalesRelationFactory(relation=models.Relation.objects.get(number="10001"), number="D1")
    text = "number,kind,name,debtor_number\n10001,person,New name,D9\n10002,organisation,Acme,D2\n"
    in_transaction = []
    resource = RelationResource()
    resource.on_progress = lambda done: in_transaction.append(connection.in_atomic_block)

    with CaptureQueriesContext(connection) as queries:
        result = resource.import_data(csv(text), dry_run=True)

    assert writes_in(queries) == []
    assert in_transaction == [False, False]
    assert result.totals["new"] == 1 and result.totals["update"] == 1
    assert models.Relation.objects.get(number="10001").name == "Old name"
    assert not models.Relation.objects.filter(number="10002").exists()


@pytest.mark.django_db(transaction=True)
def test_the_import_writes_in_one_transaction_of_a_few_bulk_statements(db):
    RelationFactory(number="10001", name="Old name")
    rows = "".join(f"{20000 + n},organisation,Org {n},D{n}\n" for n in range(300))
    text = "number,kind,name,debtor_number\n10001,person,New name,\n" + rows

    with CaptureQueriesContext(connection) as queries:
        result = RelationResource().import_data(csv(text))

    assert not result.has_errors() and not result.has_validation_errors()
    writes = writes_in(queries)
    assert len(writes) < 12, writes  # not one (or three) per row
    assert models.Relation.objects.count() == 301
    assert models.Relation.objects.get(number="10001").name == "New name"
    assert models.SalesRelation.objects.get(number="D299").relation.number == "20299"


def test_a_key_given_twice_is_new_and_then_changed_as_when_rows_were_written_one_by_one(db):
    text = "number,kind,name,debtor_number\n10001,person,First,D1\n10001,person,Second,D2\n"

    checked = RelationResource().import_data(csv(text), dry_run=True)
    imported = RelationResource().import_data(csv(text))

    for result in (checked, imported):
        assert (result.totals["new"], result.totals["update"]) == (1, 1)
        assert not result.has_validation_errors()
    relation = models.Relation.objects.get()
    assert relation.name == "Second"
    assert models.SalesRelation.objects.get().number == "D2" and relation.sales_relation.number == "D2"


def test_a_role_number_one_row_frees_may_be_taken_by_a_later_row(db):
    jan = RelationFactory(number="10001")
    SalesRelationFactory(relation=jan, number="D1")
    text = "number,kind,name,debtor_number\n10001,person,Jan,D2\n10002,person,Piet,D1\n"

    result = RelationResource().import_data(csv(text))

    assert not result.has_validation_errors(), row_messages(result)
    numbers = dict(models.SalesRelation.objects.values_list("relation__number", "number"))
    assert numbers == {"10001": "D2", "10002": "D1"}


def test_a_role_number_a_later_row_frees_is_still_taken_for_an_earlier_row(db):
    jan = RelationFactory(number="10001")
    SalesRelationFactory(relation=jan, number="D1")
    text = "number,kind,name,debtor_number\n10002,person,Piet,D1\n10001,person,Jan,D2\n"

    result = RelationResource().import_data(csv(text), dry_run=True)

    assert row_messages(result) == [
        f"Row 2, column D (debtor_number): D1 is already the debtor number of {jan}: a number belongs to one relation."
    ]


def test_a_role_moves_to_a_relation_an_earlier_row_left_and_not_to_one_still_held(db):
    first, second, _third = (RelationFactory(number=n) for n in ("10001", "10002", "10003"))
    EmployeeFactory(relation=first, number="E1")
    EmployeeFactory(relation=second, number="E2")

    held = EmployeeResource().import_data(csv("number,relation\nE1,10002\nE2,10003\n"), dry_run=True)
    moved = EmployeeResource().import_data(csv("number,relation\nE2,10003\nE1,10002\n"))

    assert row_messages(held) == ["Row 2, column B (relation): Employee with this Organisation/person already exists."]
    assert not moved.has_validation_errors(), row_messages(moved)
    assert dict(models.Employee.objects.values_list("number", "relation__number")) == {"E1": "10002", "E2": "10003"}


def test_a_failure_while_writing_stores_no_row(db):
    resource = RelationResource()

    def fail(result):
        assert models.Relation.objects.count() == 2  # written, inside the transaction
        raise RuntimeError("the worker died")

    resource.while_writing = fail

    with pytest.raises(RuntimeError):
        resource.import_data(csv("number,kind,name,debtor_number\n10001,person,A,D1\n10002,person,B,D2\n"))

    assert not models.Relation.objects.exists() and not models.SalesRelation.objects.exists()


def test_a_key_another_user_stores_between_check_and_write_is_checked_again_and_changed(db, monkeypatch):
    resource = RelationResource()
    checks = []
    check_rows = resource.check_rows

    def check_then_another_user_writes(*args, **kwargs):
        result = check_rows(*args, **kwargs)
        checks.append(result.totals["new"])
        if len(checks) == 1:
            RelationFactory(number="10002", name="Stored meanwhile")
        return result

    monkeypatch.setattr(resource, "check_rows", check_then_another_user_writes)

    result = resource.import_data(csv("number,kind,name\n10001,person,A\n10002,person,B\n"))

    assert checks == [2, 1]  # the write met the stored key; the second check found it
    assert not result.has_errors()
    assert dict(models.Relation.objects.values_list("number", "name")) == {"10001": "A", "10002": "B"}


def test_the_admins_history_names_each_relation_a_confirmed_import_in_the_request_made_or_changed(root_client):
    RelationFactory(number="10001", name="Old name")
    upload = SimpleUploadedFile(
        "relations.csv", b"number,kind,name\n10001,person,New name\n20001,organisation,Acme\n", content_type="text/csv"
    )
    preview = root_client.post(
        reverse("admin:dossier_relation_import"),
        {"format": format_index(models.Relation, "csv"), "import_file": upload},
    )
    assert not models.Relation.objects.filter(number="20001").exists()  # the preview wrote nothing

    root_client.post(reverse("admin:dossier_relation_process_import"), dict(preview.context["confirm_form"].initial))

    acme = models.Relation.objects.get(number="20001")
    logged = {(entry.object_id, entry.action_flag) for entry in LogEntry.objects.all()}
    assert logged == {(str(acme.pk), ADDITION), (str(models.Relation.objects.get(number="10001").pk), CHANGE)}
