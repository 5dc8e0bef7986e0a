"""The life of one customer, from a web enquiry to a closed service ticket.

The same story as examples/quickstart.rs, through the Python binding:
    python examples/quickstart.py
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import crm


def main() -> None:
    # A fixed clock makes the story repeatable; crm.Crm() would use the system clock.
    engine = crm.Crm(now=datetime(2026, 3, 2, 9, tzinfo=timezone.utc), seed=2026)

    admin = crm.Actor("admin", roles=["admin"])
    engine.save_team(admin, "sales-north", "Sales North", region="north", supervisor="sue")
    engine.save_team(admin, "service", "Service", supervisor="sue")
    for user, name, team, role in [("sue", "Sue", "sales-north", "supervisor"), ("ana", "Ana", "sales-north", "sales"), ("sam", "Sam", "service", "support")]:
        engine.save_user(admin, user, name, team=team, roles=[role])
    sue = crm.Actor("sue", roles=["supervisor"], team="sales-north")
    ana = crm.Actor("ana", roles=["sales"], team="sales-north")
    sam = crm.Actor("sam", roles=["support"], team="service")

    # 1. A lead arrives from the web form and lands in the team's pool.
    lead = engine.create_lead(
        sue, source="web_form", company="Nordwind Logistics", contact_name="Jo Berger",
        email="jo.berger@nordwind.example", phone="+49 40 555 0101", region="north",
        product_line="fleet telematics", team="sales-north",
    )
    print(f"{engine.now()}  lead {lead.id[:8]} arrives from the web form, in the pool of sales-north")

    # 2. Sue assigns it to Ana: the first contact is now due within 24 hours.
    lead = engine.assign_lead(sue, lead.id, "ana")
    print(f"{engine.now()}  Sue assigns it to Ana; first contact due {lead.first_contact_due_at}")

    # 3. Ana calls two hours later: the lead is contacted, a follow-up is set.
    engine.advance_clock(hours=2)
    engine.log_activity(ana, "lead", lead.id, "call", "Needs tracking for 40 trucks")
    lead = engine.get(ana, "lead", lead.id)
    print(f"{engine.now()}  Ana calls: lead is {lead.status}, next follow-up {lead.next_follow_up_at}")

    # 4. Qualified and converted: a customer, a contact and a deal, in one commit.
    engine.advance_clock(days=1)
    engine.qualify_lead(ana, lead.id)
    conversion = engine.convert_lead(ana, lead.id, expected_amount=crm.Money(Decimal("48000.00"), "EUR"))
    assert conversion.opportunity is not None
    customer = engine.get(ana, "customer", conversion.customer)
    deal = engine.get(ana, "opportunity", conversion.opportunity)
    print(f'{engine.now()}  Ana qualifies and converts it: customer "{customer.name}", deal "{deal.name}"')

    # 5. An illegal move is a typed error, not a silent no-op.
    try:
        engine.qualify_lead(ana, lead.id)
    except crm.InvalidTransitionError as err:
        print(f"{engine.now()}  (qualifying it again is refused: {err})")

    # 6. The deal moves through the pipeline and is won: a draft contract appears.
    for days in (3, 5):
        engine.advance_clock(days=days)
        deal = engine.advance_opportunity(ana, deal.id)
        print(f"{engine.now()}  deal enters {deal.stage} ({deal.probability} %)")
    engine.advance_clock(days=4)
    deal, contract = engine.win_opportunity(ana, deal.id)
    print(f"{engine.now()}  deal is {deal.stage}: contract {contract.number} drafted for {contract.amount}")
    engine.sign_contract(sue, contract.id)
    contract = engine.activate_contract(sue, contract.id)
    print(f"{engine.now()}  Sue signs the contract; it is {contract.status}")

    # 7. After the sale: a ticket is opened, worked and closed.
    engine.advance_clock(days=30)
    ticket = engine.open_ticket(sam, "Two trucks show no position", customer=customer.id, category="repair")
    engine.assign_ticket(sam, ticket.id, "sam")
    engine.start_ticket(sam, ticket.id)
    engine.advance_clock(hours=3)
    engine.resolve_ticket(sam, ticket.id, "Re-paired the trackers")
    ticket = engine.close_ticket(sam, ticket.id)
    print(f'{engine.now()}  ticket "{ticket.subject}" is {ticket.status}')

    # 8. The host drains the outbox: what it must send, exactly once.
    messages = engine.take_outbox(100)
    for message in messages:
        print(f"outbox: {message.topic} for {message.recipient or '-'} about {message.record.kind} {message.record.id}")
    engine.ack_outbox([message.id for message in messages])

    # 9. Every change left an event: the customer's story, record by record.
    print("\nHistory")
    for kind, record_id in [("lead", lead.id), ("customer", customer.id), ("opportunity", deal.id), ("contract", contract.id), ("ticket", ticket.id)]:
        for event in engine.history(admin, kind, record_id):
            if event.from_state and event.to_state and event.from_state != event.to_state:
                states = f" {event.from_state} -> {event.to_state}"
            elif event.from_state is None and event.to_state:
                states = f" -> {event.to_state}"
            else:
                states = ""
            reason = f" ({event.reason})" if event.reason else ""
            print(f"  #{event.seq:<3} {event.at}  {kind:<11} {event.action:<12} by {event.actor:<5}{states}{reason}")


if __name__ == "__main__":
    main()
