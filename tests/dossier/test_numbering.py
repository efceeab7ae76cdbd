"""R28: item numbers per type, without gaps or duplicates, also with concurrent writers."""

import threading

import pytest
from django.db import connection, connections, transaction

from dossier.models import DossierItem, ItemType
from dossier.services import allocate_numbers
from tests.factories import ItemTypeFactory, UserFactory


def _store_items(item_type, user, count):
    numbers = allocate_numbers(item_type=item_type, count=count)
    DossierItem.objects.bulk_create(
        DossierItem(item_type=item_type, number=number, submitter=user, subject=f"item {number}") for number in numbers
    )
    return numbers


@pytest.mark.django_db
def test_r28_numbers_follow_the_last_used_number_of_the_type(alice):
    item_type = ItemTypeFactory(last_number=41)
    other = ItemTypeFactory(last_number=7)
    with transaction.atomic():
        assert list(_store_items(item_type, alice, 3)) == [42, 43, 44]
        assert list(_store_items(other, alice, 1)) == [8]
    item_type.refresh_from_db()
    assert item_type.last_number == 44


@pytest.mark.django_db
def test_r28_numbers_of_a_rolled_back_transaction_are_given_again(alice):
    item_type = ItemTypeFactory()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        _store_items(item_type, alice, 5)
        raise Abort
    with transaction.atomic():
        assert list(_store_items(item_type, alice, 2)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_r28_numbers_can_only_be_taken_inside_a_transaction():
    item_type = ItemTypeFactory()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        allocate_numbers(item_type=item_type, count=1)


@pytest.mark.django_db(transaction=True)
def test_r28_concurrent_writers_get_numbers_without_gaps_or_duplicates():
    if connection.vendor != "postgresql":
        pytest.skip("The race is proved on PostgreSQL; SQLite's single writer lock serialises by itself.")
    item_type = ItemTypeFactory(code="RACE")
    user = UserFactory(username="racer")
    writers, batches, batch_size = 6, 10, 7
    start = threading.Barrier(writers)
    taken: list[list[int]] = []
    failures: list[BaseException] = []

    class Abort(Exception):
        pass

    def write(writer: int) -> None:
        try:
            start.wait()
            for batch in range(batches):
                try:
                    with transaction.atomic():
                        numbers = list(_store_items(item_type, user, batch_size))
                        if (writer + batch) % 4 == 0:
                            raise Abort  # a failed import: its numbers must come back
                    taken.append(numbers)
                except Abort:
                    pass
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    stored = sorted(DossierItem.objects.filter(item_type=item_type).values_list("number", flat=True))
    committed = sorted(n for numbers in taken for n in numbers)
    assert stored == committed
    assert stored == list(range(1, len(stored) + 1))  # no gaps, no duplicates
    assert len(stored) == batch_size * len(taken) > 0
    assert ItemType.objects.get(pk=item_type.pk).last_number == len(stored)
