"""Loyalty from Python: the points ledger (purchases, bonuses, redemption,
adjustments, refunds, expiry), member levels, care items, campaigns with a
seeded holdout, and the program's pure functions, with Decimal amounts in,
int points and typed results out, and typed errors naming the field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List

import pytest

import crm

UTC = timezone.utc
START = datetime(2026, 1, 5, 9, tzinfo=UTC)

PROGRAM: Dict[str, Any] = {
    "currency": "EUR",
    "earn": [
        {"name": "base", "per": "1.00", "points": 1},
        {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3},
        {"name": "gold double", "level": "gold", "multiply": 2},
    ],
    "bonuses": {"first_purchase": 50, "review": 10},
    "expire_after_days": 90,
    "levels": [
        {"name": "member"},
        {"name": "gold", "min_points": 300,
         "benefits": {"quote_discount_percent": 5, "ticket_priority": "high", "free_service": ["repair"]}},
    ],
    "window_days": 365,
    "grace_days": 30,
    "care": [{"name": "thanks", "first_purchase_days": 2, "action": "thank-you call"}],
}

ROOT = crm.Actor("root", roles=["admin"])
ANA = crm.Actor("ana", roles=["sales"])
LINES: List[Dict[str, Any]] = [
    {"category": "coffee", "amount": Decimal("20.50")},
    {"category": "mugs", "amount": Decimal("100.00")},
]


def eur(amount: str) -> crm.Money:
    return crm.Money(Decimal(amount), "EUR")


def refused(call: Callable[[], object]) -> crm.ValidationError:
    with pytest.raises(crm.ValidationError) as caught:
        call()
    return caught.value


@pytest.fixture
def shop() -> crm.Crm:
    return crm.Crm(now=START, seed=21, config={"loyalty": PROGRAM})


@pytest.fixture
def mia(shop: crm.Crm) -> str:
    return shop.create_customer(ANA, "Mia Rossi", kind="person", time_zone="Europe/Rome").id


def test_a_purchase_earns_by_category_plus_the_first_purchase_bonus(shop: crm.Crm, mia: str) -> None:
    posting = shop.record_purchase(ANA, mia, "A-1", eur("120.50"), lines=LINES)

    assert isinstance(posting, crm.PointsPosting)
    earning = posting.earning
    assert earning is not None
    assert (earning.points, earning.base, earning.rules) == (161, Decimal("161.50"), ["coffee", "base"])
    assert isinstance(earning.base, Decimal) and str(earning.base) == "161.50"
    earn, bonus = posting.entries
    assert isinstance(earn, crm.PointsEntry)
    assert (earn.kind, earn.points, earn.balance) == ("earn", 161, 161)
    assert earn.amount is not None and isinstance(earn.amount.amount, Decimal)
    assert earn.amount == eur("120.50")
    assert earn.expires_at == START + timedelta(days=90)
    assert (bonus.kind, bonus.rule, bonus.points, bonus.balance) == ("bonus", "first_purchase", 50, 211)
    membership = posting.customer.loyalty
    assert isinstance(membership, crm.Membership)
    assert (membership.balance, membership.level, membership.purchases) == (211, "member", 1)
    assert [lot.remaining for lot in membership.lots] == [161, 50]
    assert posting.customer.time_zone == "Europe/Rome"
    change = posting.level_change
    assert isinstance(change, crm.LevelChange)
    assert (change.from_, change.to) == (None, "member")
    assert change.to_dict()["to"] == "member"
    # The stored records are the same, through get and list.
    assert shop.get(ANA, "points_entry", earn.id) == earn
    assert [e.id for e in shop.list(ROOT, "points_entry")] == [earn.id, bonus.id]
    assert shop.points_entries(ANA, mia) == [earn, bonus]


def test_the_ledger_refuses_what_it_must(shop: crm.Crm, mia: str) -> None:
    shop.record_purchase(ANA, mia, "A-1", eur("120.50"), lines=LINES)

    assert refused(lambda: shop.record_purchase(ANA, mia, "A-1", eur("5.00"))).fields == ["reference"]
    usd = crm.Money(Decimal("5.00"), "USD")
    assert refused(lambda: shop.record_purchase(ANA, mia, "A-2", usd)).fields == ["amount"]
    beyond = refused(lambda: shop.redeem_points(ANA, mia, 212, "espresso machine"))
    assert beyond.fields == ["points"]
    with pytest.raises(crm.ForbiddenError):
        shop.adjust_points(ANA, mia, 25, "goodwill")
    # The binding's own checks: money is Decimal, points are int.
    floats = [{"category": "coffee", "amount": 20.5}]
    assert refused(lambda: shop.record_purchase(ANA, mia, "A-3", eur("20.50"), lines=floats)).fields == [
        "lines[0].amount"
    ]
    twenty: Any = 20
    assert refused(lambda: shop.record_purchase(ANA, mia, "A-3", twenty)).fields == ["amount"]
    half: Any = 1.5
    assert refused(lambda: shop.redeem_points(ANA, mia, half, "mug")).fields == ["points"]
    assert refused(lambda: shop.redeem_points(ANA, mia, True, "mug")).fields == ["points"]
    # Nothing of it was written.
    assert [e.kind for e in shop.points_entries(ANA, mia)] == ["earn", "bonus"]


def test_redeem_adjust_bonus_refund_and_expiry(shop: crm.Crm, mia: str) -> None:
    first, bonus = shop.record_purchase(ANA, mia, "A-1", eur("120.50"), lines=LINES).entries
    shop.advance_clock(days=1)
    gold = shop.record_purchase(ANA, mia, "A-3", eur("100.00"))
    assert gold.level_change is not None and (gold.level_change.from_, gold.level_change.to) == ("member", "gold")

    redeemed = shop.redeem_points(ANA, mia, 200, "mug", reference="R-1").entries[0]
    assert (redeemed.kind, redeemed.points, redeemed.balance) == ("redeem", -200, 111)
    assert [(use.entry, use.points) for use in redeemed.lots] == [(first.id, 161), (bonus.id, 39)]

    adjusted = shop.adjust_points(ROOT, mia, 25, "goodwill")
    assert adjusted.customer.loyalty is not None and adjusted.customer.loyalty.balance == 136
    shop.award_bonus(ANA, mia, "review", reference="rev-9")
    assert refused(lambda: shop.award_bonus(ANA, mia, "review", reference="rev-9")).fields == ["reference"]

    review = shop.review_loyalty(ROOT, now=datetime(2026, 4, 6, tzinfo=UTC))
    assert isinstance(review, crm.LoyaltyReview)
    assert (review.checked, review.expired_points, review.entries, review.level_changes) == (1, 11, 1, [])
    refund = shop.refund_purchase(ANA, mia, "A-3", eur("100.00")).entries[0]
    assert (refund.kind, refund.points, refund.amount) == ("reverse", -100, eur("-100.00"))
    assert refused(lambda: shop.refund_purchase(ANA, mia, "A-3", eur("1.00"))).fields == ["amount"]


def test_care_items_come_due_and_are_acted_on(shop: crm.Crm, mia: str) -> None:
    shop.record_purchase(ANA, mia, "A-1", eur("120.50"), lines=LINES)

    (work,) = shop.due_work(ANA, now=datetime(2026, 1, 7, 10, tzinfo=UTC))
    (item,) = work.items
    assert item.kind == "care" and item.overdue
    assert isinstance(item.care, crm.CareDue)
    assert (item.care.rule, item.care.reason, item.care.action) == (
        "thanks", "first purchase on 2026-01-05", "thank-you call")

    shop.set_now(datetime(2026, 1, 7, 10, tzinfo=UTC))
    activity = shop.act_on_care(ANA, mia, "thanks", "call", "Thanked her")
    assert (activity.kind, activity.summary) == ("call", "Thanked her")
    assert refused(lambda: shop.act_on_care(ANA, mia, "thanks", "call", "Again")).fields == ["rule"]
    customer = shop.get(ANA, "customer", mia)
    assert customer.care_done == {"thanks": "first"}
    assert customer.last_contact_at == datetime(2026, 1, 7, 10, tzinfo=UTC)
    assert shop.due_work(ANA, now=datetime(2026, 1, 7, 10, tzinfo=UTC)) == []


def launch(shop: crm.Crm) -> crm.Campaign:
    for n in range(1, 5):
        shop.create_customer(ANA, f"Lapsed {n}", tags=["lapsed"])
    return shop.launch_campaign(
        ANA, "Win back", {"field": "tags", "eq": "lapsed"},
        action="10 % voucher", holdout_percent=Decimal("50"), seed=7, window_days=30,
    )


def test_a_campaign_holds_out_a_seeded_share_that_cannot_be_contacted(shop: crm.Crm) -> None:
    campaign = launch(shop)

    assert isinstance(campaign, crm.Campaign)
    assert [m.holdout for m in campaign.members] == [False, True, True, False]
    assert [m.holdout for m in campaign.members] == crm.draw_holdout(4, Decimal("50"), 7)
    assert (campaign.holdout_percent, campaign.seed, campaign.window_days) == (Decimal("50"), 7, 30)
    assert campaign.segment == {"field": "tags", "eq": "lapsed"}
    assert shop.get(ANA, "campaign", campaign.id) == campaign

    held_out = campaign.members[1].customer
    assert refused(lambda: shop.record_campaign_contacts(ANA, campaign.id, [held_out])).fields == ["customers"]
    treated = [m.customer for m in campaign.members if not m.holdout]
    contacted = shop.record_campaign_contacts(ANA, campaign.id, treated)
    assert [m.contacted_by for m in contacted.members] == ["ana", None, None, "ana"]


def test_campaign_results_measure_the_lift_against_the_holdout(shop: crm.Crm) -> None:
    campaign = launch(shop)
    c1, c2, _, c4 = (m.customer for m in campaign.members)
    shop.advance_clock(days=1)
    shop.record_campaign_contacts(ANA, campaign.id, [c1, c4])
    shop.advance_clock(days=1)
    shop.record_purchase(ANA, c1, "W-1", eur("30.00"))
    shop.record_purchase(ANA, c4, "W-2", eur("10.00"))
    shop.record_purchase(ANA, c2, "W-3", eur("15.00"))

    measure = shop.campaign_results(ANA, campaign.id, as_of=datetime(2026, 3, 1, tzinfo=UTC))

    assert isinstance(measure, crm.CampaignMeasure) and measure.complete
    assert (measure.treated.repurchase_rate, measure.holdout.repurchase_rate) == (1.0, 0.5)
    assert isinstance(measure.rate_lift, float) and measure.rate_lift == 0.5
    assert (measure.treated.revenue, measure.holdout.revenue_per_customer) == (Decimal("40.00"), Decimal("7.50"))
    assert measure.revenue_lift == Decimal("12.50")
    rows = measure.members_rows()
    assert [row["customer"] for row in rows] == [m.customer for m in measure.members]
    assert rows[1]["purchases"] == 1 and rows[1]["revenue"] == Decimal("15.00")
    # Both groups have members: a normal-approximation interval around the lift.
    half = 1.959963984540054 * (0.5 * 0.5 / 2) ** 0.5
    assert measure.rate_lift_ci95 == pytest.approx((0.5 - half, 0.5 + half))
    assert isinstance(measure.rate_lift_ci95, tuple)


def test_campaign_arguments_are_checked_by_the_binding(shop: crm.Crm) -> None:
    shop.create_customer(ANA, "Lapsed", tags=["lapsed"])

    def bad(**kwargs: Any) -> crm.ValidationError:
        args: Dict[str, Any] = {"holdout_percent": Decimal("50"), "seed": 7, "window_days": 30, **kwargs}
        return refused(lambda: shop.launch_campaign(ANA, "X", {"field": "tags", "eq": "lapsed"}, **args))

    assert bad(seed=-1).fields == ["seed"]
    assert bad(seed=2**64).fields == ["seed"]
    assert bad(seed=True).fields == ["seed"]
    assert bad(holdout_percent=0.5).fields == ["holdout_percent"]
    assert bad(holdout_percent=Decimal("101")).fields == ["holdout_percent"]
    assert bad(window_days=-3).fields == ["window_days"]
    text_segment: Any = "tags=x"
    segment = refused(lambda: shop.launch_campaign(ANA, "X", text_segment, holdout_percent=0, seed=1, window_days=30))
    assert segment.fields == ["segment"]
    # The largest seed is a seed.
    assert len(crm.draw_holdout(3, 0, 2**64 - 1)) == 3


def test_the_pure_functions() -> None:
    program = {"earn": [{"name": "base", "per": Decimal("1.00"), "points": 1},
                        {"name": "summer", "campaign": "summer", "multiply": "1.5"}]}
    summer = crm.loyalty_points(program, [{"amount": Decimal("9.99")}], campaign="summer")
    assert (summer.points, summer.base, summer.multiplier, summer.rules) == (
        14, Decimal("9.99"), Decimal("1.5"), ["base", "summer"])
    assert crm.loyalty_points(program, [{"amount": Decimal("9.99")}]).points == 9
    assert summer.to_dict() == {"points": 14, "base": Decimal("9.99"), "multiplier": Decimal("1.5"),
                                "rules": ["base", "summer"]}
    with pytest.raises(crm.ConfigError) as caught:
        crm.loyalty_points({"earn": [{"name": "base", "per": "0", "points": 1}]}, [{"amount": 1}])
    assert caught.value.path == "loyalty.earn[0].per"
    assert refused(lambda: crm.loyalty_points(program, [{"amount": Decimal("1"), "sku": "x"}])).fields == [
        "lines[0].sku"
    ]
    # The program is read as the engine's config reads it: a Decimal as its
    # exact text, a float multiplier as its digits, in either place.
    floaty = {"earn": [{"name": "base", "per": Decimal("1.00"), "points": 1},
                       {"name": "summer", "campaign": "summer", "multiply": 1.5}]}
    assert crm.loyalty_points(floaty, [{"amount": Decimal("9.99")}], campaign="summer").points == 14
    engine = crm.Crm(now=datetime(2026, 1, 5, tzinfo=timezone.utc), config={"loyalty": floaty})
    mia = engine.create_customer(crm.Actor("root", roles=["admin"]), "Mia")
    posting = engine.record_purchase(crm.Actor("root", roles=["admin"]), mia.id, "R-1",
                                     crm.Money(Decimal("9.99"), "EUR"), campaign="summer")
    assert posting.earning is not None and posting.earning.points == 14

    draw = crm.draw_holdout(10, "20", 7)
    assert len(draw) == 10 and draw.count(True) == 2
    assert draw == crm.draw_holdout(10, Decimal("20"), 7)
    assert refused(lambda: crm.draw_holdout(10, 120, 7)).fields == ["percent"]
    # Only the percent is renamed: the core's limit on n stays on n.
    assert refused(lambda: crm.draw_holdout(200_000_000, 10, 1)).fields == ["n"]
    assert refused(lambda: crm.draw_holdout(10, -1, 1)).fields == ["percent"]
    assert refused(lambda: crm.draw_holdout(-1, 20, 7)).fields == ["n"]
