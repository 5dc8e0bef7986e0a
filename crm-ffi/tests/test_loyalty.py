"""Loyalty across the FFI: purchases earning points by their lines with the
first-purchase bonus (`PointsPosting`, `Earning`, `Membership`), redemption
from the oldest lot, adjustments for admins only, points entries as records
(`get`, `list` with kind `points_entry`), a care item due and acted on
(`DueKind.CARE`, `CareDue`), a campaign whose holdout cannot be contacted and
its results (`CampaignMeasure`), the review expiring points, and the pure
functions `loyalty_points` and `draw_holdout`; bad input as typed errors
naming the field. The story follows tests/vectors/loyalty.json."""

import datetime
import json

import pytest

import crm_ffi as ffi

ROOT = ffi.Actor(user="root", roles=["admin"])
ANA = ffi.Actor(user="ana", roles=["sales"])

PROGRAM = {
    "currency": "EUR",
    "earn": [{"name": "base", "per": "1.00", "points": 1},
             {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3}],
    "bonuses": {"first_purchase": 50},
    "expire_after_days": 90,
    "levels": [{"name": "member"}, {"name": "gold", "min_points": 300}],
    "care": [{"name": "thanks", "first_purchase_days": 2, "action": "thank-you call"}],
}


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def eur(amount):
    return ffi.Money(amount=amount, currency="EUR")


def validation_fields(call, *args, **kwargs):
    with pytest.raises(ffi.CrmError.Validation) as info:
        call(*args, **kwargs)
    return info.value.fields


@pytest.fixture
def crm():
    return ffi.Crm(now=utc("2026-01-05T09:00:00Z"), seed=21, config_json=json.dumps({"loyalty": PROGRAM}))


@pytest.fixture
def mia(crm):
    return crm.create_customer(ANA, ffi.NewCustomer(name="Mia Rossi", kind="person", time_zone="Europe/Rome"))


def buy(crm, customer, reference, amount, **kwargs):
    return crm.record_purchase(ANA, ffi.PurchaseInput(customer=customer, reference=reference, amount=eur(amount),
                                                      **kwargs))


def test_a_purchase_earns_by_its_lines_with_the_first_purchase_bonus(crm, mia):
    assert mia.time_zone == "Europe/Rome" and mia.loyalty is None
    posting = buy(crm, mia.id, "A-1", "120.50", lines=[ffi.PurchaseLine(category="coffee", amount="20.50"),
                                                       ffi.PurchaseLine(category="mugs", amount="100.00")])
    assert posting.earning == ffi.Earning(points=161, base="161.50", multiplier="1", rules=["coffee", "base"])
    assert [e.kind for e in posting.entries] == [ffi.PointsKind.EARN, ffi.PointsKind.BONUS]
    earn, bonus = posting.entries
    assert (earn.points, earn.balance, earn.amount) == (161, 161, eur("120.50"))
    assert earn.expires_at == utc("2026-04-05T09:00:00Z")
    assert (bonus.rule, bonus.points, bonus.balance) == ("first_purchase", 50, 211)
    account = posting.customer.loyalty
    assert (account.balance, account.level, account.purchases) == (211, "member", 1)
    assert [lot.remaining for lot in account.lots] == [161, 50]
    assert posting.level_change.to == "member"

    # Bad input names the field.
    assert validation_fields(buy, crm, mia.id, "A-1", "5.00") == ["reference"]
    assert validation_fields(buy, crm, mia.id, "A-2", "5,00") == ["amount.amount"]
    assert validation_fields(buy, crm, mia.id, "A-2", "5.00", lines=[ffi.PurchaseLine(amount="5e0")]) == \
        ["lines[0].amount"]
    with pytest.raises(ffi.CrmError.Validation) as info:
        crm.record_purchase(ANA, ffi.PurchaseInput(customer=mia.id, reference="A-2",
                                                   amount=ffi.Money(amount="5.00", currency="USD")))
    assert info.value.fields == ["amount"]


def test_redemption_adjustment_and_entries_as_records(crm, mia):
    first = buy(crm, mia.id, "A-1", "120.50")
    assert first.customer.loyalty.balance == 170  # 120 points + 50
    assert validation_fields(crm.redeem_points, ANA, mia.id, 171, "espresso machine") == ["points"]
    redeemed = crm.redeem_points(ANA, mia.id, 100, "mug", reference="R-1")
    (entry,) = redeemed.entries
    assert (entry.kind, entry.points, entry.balance, entry.rule) == (ffi.PointsKind.REDEEM, -100, 70, "mug")
    assert entry.lots == [ffi.LotUse(entry=first.entries[0].id, points=100)]

    with pytest.raises(ffi.CrmError.Forbidden):
        crm.adjust_points(ANA, mia.id, 25, "goodwill")
    adjusted = crm.adjust_points(ROOT, mia.id, 25, "goodwill")
    assert adjusted.entries[0].kind is ffi.PointsKind.ADJUST and adjusted.customer.loyalty.balance == 95

    entries = crm.points_entries(ANA, mia.id)
    assert [e.kind for e in entries] == [ffi.PointsKind.EARN, ffi.PointsKind.BONUS, ffi.PointsKind.REDEEM,
                                         ffi.PointsKind.ADJUST]
    got = crm.get(ANA, "points_entry", entry.id)
    assert isinstance(got, ffi.AnyRecord.POINTS_ENTRY) and got.record == entry
    listed = crm.list(ANA, "points_entry", ffi.ListOptions())
    assert sorted(r.record.id for r in listed) == sorted(e.id for e in entries)


def test_a_care_item_comes_due_and_is_acted_on(crm, mia):
    buy(crm, mia.id, "A-1", "20.00")
    (work,) = crm.due_work(ANA, utc("2026-01-07T10:00:00Z"))
    (item,) = work.items
    assert item.kind is ffi.DueKind.CARE and item.title == "Mia Rossi" and item.overdue
    assert (item.care.rule, item.care.reason, item.care.action) == \
        ("thanks", "first purchase on 2026-01-05", "thank-you call")
    crm.set_now(utc("2026-01-07T10:00:00Z"))
    call = crm.act_on_care(ANA, mia.id, "thanks", "call", "Thanked her")
    assert call.kind == "call" and call.subject == ffi.RecordKey(kind="customer", id=mia.id)
    assert validation_fields(crm.act_on_care, ANA, mia.id, "thanks", "call", "Again") == ["rule"]
    customer = crm.get(ANA, "customer", mia.id).record
    assert list(customer.care_done) == ["thanks"] and customer.last_contact_at == utc("2026-01-07T10:00:00Z")
    assert crm.due_work(ANA, utc("2026-01-07T10:00:00Z")) == []


def test_a_campaign_holds_out_a_seeded_half_and_measures_the_lift(crm):
    lapsed = [crm.create_customer(ANA, ffi.NewCustomer(name=f"Lapsed {n}", tags=["lapsed"])).id for n in range(4)]
    spec = dict(name="Win back", action="10 % voucher", segment_json=json.dumps({"field": "tags", "eq": "lapsed"}),
                holdout_percent="50", seed=7, window_days=30)
    assert validation_fields(crm.launch_campaign, ANA, ffi.CampaignInput(**{**spec, "segment_json": "{"})) == \
        ["segment"]
    assert validation_fields(crm.launch_campaign, ANA, ffi.CampaignInput(**{**spec, "holdout_percent": "x"})) == \
        ["holdout_percent"]
    campaign = crm.launch_campaign(ANA, ffi.CampaignInput(**spec))
    assert [m.customer for m in campaign.members] == lapsed
    assert [m.holdout for m in campaign.members] == ffi.draw_holdout(4, "50", 7)
    assert json.loads(campaign.segment_json) == {"field": "tags", "eq": "lapsed"}
    assert (campaign.holdout_percent, campaign.seed, campaign.window_days) == ("50", 7, 30)
    held = [m.customer for m in campaign.members if m.holdout]
    treated = [m.customer for m in campaign.members if not m.holdout]
    assert len(held) == 2

    assert validation_fields(crm.record_campaign_contacts, ANA, campaign.id, [held[0]]) == ["customers"]
    crm.advance_clock(days=1)
    contacted = crm.record_campaign_contacts(ANA, campaign.id, treated)
    assert [m.customer for m in contacted.members if m.contacted_at is not None] == treated
    crm.advance_clock(days=1)
    buy(crm, treated[0], "W-1", "30.00")
    buy(crm, treated[1], "W-2", "10.00")
    buy(crm, held[0], "W-3", "15.00")

    measure = crm.campaign_results(ANA, campaign.id, utc("2026-03-01T00:00:00Z"))
    assert measure.complete and measure.rate_lift == 0.5
    assert (measure.treated.repurchase_rate, measure.holdout.repurchase_rate) == (1.0, 0.5)
    assert (measure.treated.revenue, measure.holdout.revenue_per_customer, measure.revenue_lift) == \
        ("40.00", "7.50", "12.50")
    assert {m.customer: m.purchases for m in measure.members}[held[0]] == 1
    stored = crm.get(ANA, "campaign", campaign.id)
    assert isinstance(stored, ffi.AnyRecord.CAMPAIGN) and stored.record == contacted


def test_the_review_expires_points(crm, mia):
    buy(crm, mia.id, "A-1", "20.00")
    review = crm.review_loyalty(ROOT, utc("2026-04-06T00:00:00Z"))
    # Both lots (the purchase's 20 points and the 50 of the bonus) expire 90 days on.
    assert (review.checked, review.expired_points, review.entries, review.level_changes) == (1, 70, 2, [])
    expired = crm.points_entries(ANA, mia.id)[-2:]
    assert [e.kind for e in expired] == [ffi.PointsKind.EXPIRE] * 2
    assert sorted(e.points for e in expired) == [-50, -20] and expired[-1].balance == 0
    assert crm.get(ANA, "customer", mia.id).record.loyalty.balance == 0


def test_the_pure_functions():
    program = json.dumps({"earn": [{"name": "base", "per": "1.00", "points": 1},
                                   {"name": "summer", "campaign": "summer", "multiply": "1.5"}]})
    earning = ffi.loyalty_points(program, [ffi.PurchaseLine(amount="9.99")], campaign="summer")
    assert earning == ffi.Earning(points=14, base="9.99", multiplier="1.5", rules=["base", "summer"])
    assert ffi.loyalty_points(program, [ffi.PurchaseLine(amount="9.99")]).points == 9
    draw = ffi.draw_holdout(10, "20", 7)
    assert sum(draw) == 2 and draw == ffi.draw_holdout(10, "20", 7)
    other = ffi.draw_holdout(10, "20", 8)  # another seed draws other members
    assert sum(other) == 2 and other != draw
    assert validation_fields(ffi.draw_holdout, 10, "0.2e2", 7) == ["percent"]
    assert validation_fields(ffi.draw_holdout, 10, "101", 7) == ["holdout_percent"]
    assert validation_fields(ffi.loyalty_points, "[", []) == ["program"]
    with pytest.raises(ffi.CrmError.Config):
        ffi.loyalty_points(json.dumps({"earn": [{"name": "x", "per": "0"}]}), [])
