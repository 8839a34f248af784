"""Races on the service desk, with real threads on a database every connection shares (a file on
SQLite, the test database on PostgreSQL): of two queue members taking one ticket at once one
gets it; of two resolutions at once (a double click, two tabs) one happens; the loser gets a
clear refusal, never "database is locked" or a 500, and the timeline has one event."""

from __future__ import annotations

import pytest

from tests.crm.test_concurrency import run_together
from tickets import services
from tickets.models import Ticket, TicketEvent

Status = Ticket.Status

pytestmark = pytest.mark.usefixtures("english")


def test_two_members_taking_one_queued_ticket_at_once_give_one_assignee(shared_db, desk):
    world = desk.world
    ticket = desk.make_ticket(Status.ASSIGNED, assignee=None, queue=desk.sales_queue)
    takers = [world.sales, world.sales2, world.manager]

    def take_as(user):
        seen = Ticket.objects.get(pk=ticket.pk)  # each looked the ticket up before the race, as a view does

        def take():
            services.ticket_take(ticket=seen, by=user)
            return "won"

        return take

    outcomes = run_together([take_as(user) for user in takers])

    winners = [user for user, outcome in zip(takers, outcomes, strict=True) if outcome == "won"]
    assert len(winners) == 1, outcomes
    losers = [outcome for outcome in outcomes if outcome != "won"]
    assert all(isinstance(outcome, services.TicketRefused) for outcome in losers), losers
    assert {str(outcome) for outcome in losers} == {f"Already taken by {winners[0]}."}
    assert Ticket.objects.get(pk=ticket.pk).assignee_id == winners[0].pk
    assert list(TicketEvent.objects.filter(ticket_id=ticket.pk).values_list("by_id", flat=True)) == [
        winners[0].pk
    ]
    assert Ticket.history.filter(id=ticket.pk).count() == 2  # created, taken once


def test_resolving_one_ticket_twice_at_once_resolves_it_once(shared_db, desk):
    ticket = desk.make_ticket(Status.IN_PROGRESS)

    def resolve(note):
        seen = Ticket.objects.get(pk=ticket.pk)

        def run():
            services.ticket_resolve(ticket=seen, note=note, by=desk.world.sales)
            return note

        return run

    outcomes = run_together([resolve("第一次"), resolve("第二次")])

    won = [outcome for outcome in outcomes if isinstance(outcome, str)]
    lost = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], services.TicketRefused)
    assert str(lost[0]) == "This ticket changed meanwhile: it is now “Resolved”. Reload the page."
    current = Ticket.objects.get(pk=ticket.pk)
    assert (current.status, current.resolution_note) == (Status.RESOLVED, won[0])
    assert TicketEvent.objects.filter(ticket_id=ticket.pk, kind="resolved").count() == 1
