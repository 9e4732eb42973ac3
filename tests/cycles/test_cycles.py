import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from programs.models import Cycle, Phase
from programs.services import cycle_open, cycle_set_phase, program_create
from tests.factories import OrganizationFactory, UserFactory

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 3, 31)


def run_together(*callables):
    """Run each callable in its own thread and database connection, released at once."""
    barrier = threading.Barrier(len(callables))
    outcomes: list[object] = [None] * len(callables)

    def worker(index, fn):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = fn()
        except Exception as error:  # collected for the test to inspect
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def program(db):
    return program_create(
        organization=OrganizationFactory(), name="Web shop", by=UserFactory(), starts_on=START
    )


def test_creating_a_program_opens_cycle_one(program):
    (cycle,) = program.cycles.all()
    assert (cycle.number, cycle.is_open, cycle.phase) == (1, True, Phase.WHERE_ARE_WE)
    assert cycle.starts_on == START
    assert cycle.ends_on > START


def test_the_database_refuses_a_second_open_cycle(program):
    with pytest.raises(IntegrityError, match="cycle_one_open_per_program"), transaction.atomic():
        Cycle.objects.create(program=program, number=2, starts_on=START, ends_on=END)


def test_a_new_cycle_may_open_once_the_old_one_is_closed(program):
    program.cycles.update(closed_at=timezone.now())
    cycle = cycle_open(program=program, starts_on=END, ends_on=END + datetime.timedelta(days=90))
    assert cycle.number == 2
    assert program.cycles.filter(closed_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_inserts_of_open_cycles_leave_exactly_one():
    program = program_create(organization=OrganizationFactory(), name="Race", by=None)
    program.cycles.update(closed_at=timezone.now())

    def insert(number):
        def go():
            with transaction.atomic():
                return Cycle.objects.create(
                    program_id=program.pk, number=number, starts_on=START, ends_on=END
                )

        return go

    outcomes = run_together(insert(2), insert(3))

    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], IntegrityError)
    assert "cycle_one_open_per_program" in str(errors[0])
    assert Cycle.objects.filter(program=program, closed_at__isnull=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_cycle_opens_through_the_service_create_one_cycle():
    program = program_create(organization=OrganizationFactory(), name="Race", by=None)
    program.cycles.update(closed_at=timezone.now())

    def open_next():
        with transaction.atomic():
            return cycle_open(program=program, starts_on=START, ends_on=END)

    outcomes = run_together(open_next, open_next, open_next)

    assert sum(isinstance(o, Cycle) for o in outcomes) == 1, outcomes
    assert Cycle.objects.filter(program=program).count() == 2


def test_a_cycle_must_end_after_it_starts(program):
    with pytest.raises(IntegrityError, match="cycle_ends_after_start"), transaction.atomic():
        Cycle.objects.filter(program=program).update(ends_on=START)


def test_a_closed_cycle_keeps_its_phase(program):
    cycle = program.cycles.get()
    cycle.closed_at = timezone.now()
    cycle.save()
    with pytest.raises(Exception, match="closed"):
        cycle_set_phase(cycle=cycle, phase=Phase.REVIEW, by=UserFactory())
    cycle.refresh_from_db()
    assert cycle.phase == Phase.WHERE_ARE_WE


def test_days_left_and_overdue():
    cycle = Cycle(starts_on=START, ends_on=END)
    assert cycle.days_left(today=datetime.date(2026, 3, 21)) == 10
    assert cycle.days_overdue(today=datetime.date(2026, 3, 21)) == 0
    assert cycle.days_overdue(today=datetime.date(2026, 4, 3)) == 3
