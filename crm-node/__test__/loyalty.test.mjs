// Loyalty through the Node API: the points ledger (recordPurchase,
// refundPurchase, redeemPoints, adjustPoints, awardBonus, pointsEntries),
// levels and expiry (reviewLoyalty), care items (dueWork, actOnCare),
// campaigns with their seeded holdout (launchCampaign,
// recordCampaignContacts, campaignResults), and the pure functions
// loyaltyPoints and drawHoldout, with their Async twins. Points are whole
// numbers, money and decimals strings, times RFC 3339; bad input is a
// validation error naming the field. The rules themselves are tested in Rust
// and by the shared vector tests/vectors/loyalty.json; these tests prove the
// binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Crm, drawHoldout, drawHoldoutAsync, loyaltyPoints, loyaltyPointsAsync } from '../index.js'

const eur = (amount) => ({ amount, currency: 'EUR' })
const ana = { user: 'ana', roles: ['sales'] }
const root = { user: 'root', roles: ['admin'] }

const program = {
  currency: 'EUR',
  earn: [
    { name: 'base', per: '1.00', points: 1 },
    { name: 'coffee', category: 'coffee', per: '1.00', points: 3 },
    { name: 'gold double', level: 'gold', multiply: 2 },
  ],
  bonuses: { first_purchase: 50, review: 10 },
  expire_after_days: 90,
  levels: [
    { name: 'member' },
    { name: 'gold', min_points: 300, benefits: { ticket_priority: 'high' } },
  ],
  care: [{ name: 'thanks', first_purchase_days: 2, action: 'thank-you call' }],
}

const coffeeAndMugs = [
  { category: 'coffee', amount: '20.50' },
  { category: 'mugs', amount: '100.00' },
]

/** An engine with the program, and a customer of ana's. */
function setup() {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 21, config: { loyalty: program } })
  const mia = crm.createCustomer(ana, { name: 'Mia Rossi', kind: 'person', timeZone: 'Europe/Rome' })
  return { crm, mia }
}

/** The first purchase of the tests: 120.50 of coffee and mugs. */
const firstPurchase = (crm, mia) =>
  crm.recordPurchase(ana, { customer: mia.id, reference: 'A-1', amount: eur('120.50'), lines: coffeeAndMugs })

/** An error with this code and, for validation errors, naming `field`. */
const failure = (code, field) => (err) => {
  assert.ok(err instanceof Error, 'an Error')
  assert.equal(err.code, code, err.message)
  if (field !== undefined) assert.deepEqual(err.fields, [field], err.message)
  return true
}
const invalid = (field) => failure('validation', field)

test('a customer keeps its time zone and has no loyalty account before its first posting', () => {
  const { mia } = setup()
  assert.equal(mia.timeZone, 'Europe/Rome')
  assert.equal(mia.loyalty, null)
  assert.equal(mia.segment, null)
  assert.equal(mia.lastContactAt, null)
  assert.deepEqual(mia.careDone, {})
})

test('a purchase earns 161 points by category, plus the first-purchase bonus of 50', () => {
  const { crm, mia } = setup()
  const posting = firstPurchase(crm, mia)
  assert.deepEqual(posting.earning, { points: 161, base: '161.50', multiplier: '1', rules: ['coffee', 'base'] })
  assert.deepEqual(
    posting.entries.map(({ kind, points, balance, rule }) => ({ kind, points, balance, rule })),
    [
      { kind: 'earn', points: 161, balance: 161, rule: 'coffee, base' },
      { kind: 'bonus', points: 50, balance: 211, rule: 'first_purchase' },
    ],
  )
  const [earn] = posting.entries
  assert.deepEqual(earn.amount, eur('120.50'))
  assert.equal(earn.reference, 'A-1')
  assert.equal(earn.customer, mia.id)
  assert.equal(earn.at, '2026-01-05T09:00:00Z')
  assert.equal(earn.expiresAt, '2026-04-05T09:00:00Z')
  assert.deepEqual(earn.lots, [])

  const account = posting.customer.loyalty
  assert.equal(account.balance, 211)
  assert.equal(account.earned, 211)
  assert.equal(account.level, 'member')
  assert.equal(account.purchases, 1)
  assert.equal(account.firstPurchaseAt, '2026-01-05T09:00:00Z')
  assert.equal(account.nextCheckAt, '2026-04-05T09:00:00Z')
  assert.deepEqual(account.lots.map((lot) => [lot.entry, lot.remaining]), [
    [earn.id, 161],
    [posting.entries[1].id, 50],
  ])
  assert.deepEqual(account.window, [{ at: '2026-01-05T09:00:00Z', points: 211, spend: '120.50' }])
  assert.equal(posting.levelChange.from, null)
  assert.equal(posting.levelChange.to, 'member')

  // The pure function says the same as the engine.
  assert.deepEqual(loyaltyPoints(program, coffeeAndMugs), posting.earning)
  // The stored customer carries the account.
  assert.equal(crm.get(ana, 'customer', mia.id).customer.loyalty.balance, 211)
})

test('an upgrade applies in the same commit, and a gold member earns double', () => {
  const { crm, mia } = setup()
  firstPurchase(crm, mia)
  const upgrade = crm.recordPurchase(ana, { customer: mia.id, reference: 'A-2', amount: eur('100.00') })
  assert.equal(upgrade.earning.points, 100)
  assert.deepEqual(upgrade.levelChange, {
    from: 'member',
    to: 'gold',
    reason: '311 points and 220.50 spent in the last 365 days reach gold',
  })
  assert.equal(upgrade.customer.loyalty.previousLevel, 'member')
  const gold = crm.recordPurchase(ana, { customer: mia.id, reference: 'A-3', amount: eur('10.00') })
  assert.deepEqual(gold.earning, { points: 20, base: '10', multiplier: '2', rules: ['base', 'gold double'] })
  assert.equal(gold.levelChange, null)
})

test('a purchase recorded twice, or in another currency, is a validation error, also from the Async twin', async () => {
  const { crm, mia } = setup()
  firstPurchase(crm, mia)
  const again = { customer: mia.id, reference: 'A-1', amount: eur('5.00') }
  assert.throws(() => crm.recordPurchase(ana, again), invalid('reference'))
  await assert.rejects(crm.recordPurchaseAsync(ana, again), invalid('reference'))
  assert.throws(
    () => crm.recordPurchase(ana, { customer: mia.id, reference: 'A-2', amount: { amount: '5.00', currency: 'USD' } }),
    invalid('amount'),
  )
  assert.equal(crm.pointsEntries(ana, mia.id).length, 2, 'nothing was written')
})

test('purchase lines are read key by key: decimal strings only, no unknown keys', () => {
  const { crm, mia } = setup()
  const purchase = (lines) => crm.recordPurchase(ana, { customer: mia.id, reference: 'L-1', amount: eur('120.50'), lines })
  assert.throws(() => purchase([coffeeAndMugs[0], { category: 'mugs', amount: 100 }]), invalid('lines[1].amount'))
  assert.throws(() => purchase([{ category: 'coffee', price: '120.50' }]), invalid('lines[0].price'))
  assert.throws(() => purchase([{ category: 'coffee' }]), invalid('lines[0].amount'))
  assert.throws(() => purchase([{ category: 'coffee', amount: 'lots' }]), invalid('lines[0].amount'))
  assert.throws(() => purchase([coffeeAndMugs[0]]), invalid('lines'), 'lines that do not add up to the amount')
  assert.throws(() => loyaltyPoints(program, { amount: '1.00' }), invalid('lines'))
  assert.throws(() => loyaltyPoints(program, ['1.00']), invalid('lines[0]'))
  assert.throws(
    () => crm.recordPurchase(ana, { customer: mia.id, reference: 'L-2', amount: eur('1.00'), at: '2027-01-01T00:00:00Z' }),
    invalid('at'),
  )
})

test('redeeming more than the balance is a validation error on points; a redemption takes the oldest points first', async () => {
  const { crm, mia } = setup()
  const [earn] = firstPurchase(crm, mia).entries
  assert.throws(() => crm.redeemPoints(ana, mia.id, 212, 'espresso machine'), invalid('points'))
  await assert.rejects(crm.redeemPointsAsync(ana, mia.id, 212, 'espresso machine'), invalid('points'))
  assert.throws(() => crm.redeemPoints(ana, mia.id, 1.5, 'mug'), invalid('points'))
  assert.throws(() => crm.redeemPoints(ana, mia.id, 0, 'mug'), invalid('points'))

  const redeemed = await crm.redeemPointsAsync(ana, mia.id, 200, 'mug', 'R-1')
  const [entry] = redeemed.entries
  assert.equal(entry.kind, 'redeem')
  assert.equal(entry.points, -200)
  assert.equal(entry.balance, 11)
  assert.equal(entry.rule, 'mug')
  assert.equal(entry.reference, 'R-1')
  assert.deepEqual(entry.lots, [
    { entry: earn.id, points: 161 },
    { entry: redeemed.customer.loyalty.lots[0].entry, points: 39 },
  ])
  assert.equal(redeemed.customer.loyalty.redeemed, 200)
  assert.equal(redeemed.earning, null)
})

test('only admins and supervisors adjust points; bonuses are given once per reference', () => {
  const { crm, mia } = setup()
  firstPurchase(crm, mia)
  assert.throws(() => crm.adjustPoints(ana, mia.id, 25, 'goodwill'), (err) => {
    assert.equal(err.code, 'forbidden', err.message)
    assert.equal(err.actor, 'ana')
    assert.equal(err.entity, 'customer')
    assert.equal(err.id, mia.id)
    return true
  })
  assert.throws(() => crm.adjustPoints(root, mia.id, 25, ' '), invalid('reason'))
  assert.throws(() => crm.adjustPoints(root, mia.id, 0, 'nothing'), invalid('points'))
  const adjusted = crm.adjustPoints(root, mia.id, -11, 'typo')
  assert.deepEqual(
    adjusted.entries.map(({ kind, points, reason }) => ({ kind, points, reason })),
    [{ kind: 'adjust', points: -11, reason: 'typo' }],
  )
  assert.equal(adjusted.customer.loyalty.balance, 200)

  const bonus = crm.awardBonus(ana, mia.id, 'review', 'rev-9')
  assert.equal(bonus.entries[0].kind, 'bonus')
  assert.equal(bonus.entries[0].points, 10)
  assert.throws(() => crm.awardBonus(ana, mia.id, 'review', 'rev-9'), invalid('reference'))
  assert.throws(() => crm.awardBonus(ana, mia.id, 'birthday'), invalid('event'))
})

test('ledger entries are records: pointsEntries, get, list and history know points_entry', () => {
  const { crm, mia } = setup()
  firstPurchase(crm, mia)
  crm.refundPurchase(ana, mia.id, 'A-1', eur('20.50'))
  const ledger = crm.pointsEntries(ana, mia.id)
  assert.deepEqual(ledger.map((entry) => entry.kind), ['earn', 'bonus', 'reverse'])
  const reverse = ledger[2]
  assert.deepEqual(reverse.amount, eur('-20.50'))
  assert.equal(reverse.points, -27)
  assert.equal(reverse.balance, 184)

  const any = crm.get(ana, 'points_entry', reverse.id)
  assert.equal(any.entity, 'points_entry')
  assert.deepEqual(any[any.entity], reverse)
  assert.deepEqual(
    Object.keys(any).filter((key) => any[key] != null),
    ['entity', 'points_entry'],
  )
  const listed = crm.list(root, 'points_entry')
  assert.deepEqual(listed.map((record) => record.points_entry.id).sort(), ledger.map((entry) => entry.id).sort())
  assert.equal(crm.history(ana, 'points_entry', reverse.id)[0].action, 'create')
  assert.throws(() => crm.get(ana, 'points_entry', 'not-an-id'), (err) => err.code === 'validation')
  assert.throws(() => crm.refundPurchase(ana, mia.id, 'A-1', eur('100.01')), invalid('amount'))
  assert.throws(() => crm.refundPurchase(ana, mia.id, 'Z-9', eur('1.00')), invalid('reference'))
})

test('a care item is due with its rule, and acting on it logs the activity and marks it done', async () => {
  const { crm, mia } = setup()
  firstPurchase(crm, mia)
  const [work] = crm.dueWork(ana, new Date('2026-01-07T10:00:00Z'))
  assert.equal(work.user, 'ana')
  const [item] = work.items
  assert.equal(item.kind, 'care')
  assert.deepEqual(item.subject, { kind: 'customer', id: mia.id })
  assert.equal(item.title, 'Mia Rossi')
  assert.equal(item.dueAt, '2026-01-07T09:00:00Z')
  assert.equal(item.overdue, true)
  assert.deepEqual(
    { rule: item.care.rule, dueAt: item.care.dueAt, reason: item.care.reason, action: item.care.action },
    { rule: 'thanks', dueAt: '2026-01-07T09:00:00Z', reason: 'first purchase on 2026-01-05', action: 'thank-you call' },
  )

  crm.setNow('2026-01-07T10:00:00Z')
  assert.throws(() => crm.actOnCare(ana, mia.id, 'thanks', 'fax', 'Faxed'), invalid('kind'))
  const activity = await crm.actOnCareAsync(ana, mia.id, 'thanks', 'call', 'Thanked her')
  assert.equal(activity.kind, 'call')
  assert.deepEqual(activity.subject, { kind: 'customer', id: mia.id })
  assert.throws(() => crm.actOnCare(ana, mia.id, 'thanks', 'call', 'Again'), invalid('rule'))
  const customer = crm.get(ana, 'customer', mia.id).customer
  assert.deepEqual(customer.careDone, { thanks: item.care.occurrence })
  assert.equal(customer.lastContactAt, '2026-01-07T10:00:00Z')
  assert.deepEqual(crm.dueWork(ana, '2026-01-07T10:00:00Z'), [])
})

test('the review posts expired points, oldest lots first, at a Date or the clock', async () => {
  const { crm, mia } = setup()
  firstPurchase(crm, mia)
  crm.redeemPoints(ana, mia.id, 200, 'mug')
  assert.deepEqual(crm.reviewLoyalty(root, '2026-04-05T08:59:59Z'), {
    checked: 0, expiredPoints: 0, entries: 0, levelChanges: [], batches: 0,
  })
  const review = await crm.reviewLoyaltyAsync(root, new Date('2026-04-06T00:00:00Z'))
  assert.equal(review.checked, 1)
  assert.equal(review.expiredPoints, 11)
  assert.equal(review.entries, 1)
  const expiry = crm.pointsEntries(ana, mia.id).at(-1)
  assert.deepEqual([expiry.kind, expiry.points, expiry.balance, expiry.at], ['expire', -11, 0, '2026-04-05T09:00:00Z'])
  assert.throws(() => crm.reviewLoyalty(root, 'soon'), invalid('now'))
})

/** Four lapsed customers of ana's and a win-back campaign over them. */
function campaignSetup() {
  const { crm } = setup()
  const lapsed = [1, 2, 3, 4].map((n) => crm.createCustomer(ana, { name: `Lapsed ${n}`, tags: ['lapsed'] }))
  const input = {
    name: 'Win back',
    action: '10 % voucher',
    segment: { field: 'tags', eq: 'lapsed' },
    holdoutPercent: '50',
    seed: 7,
    windowDays: 30,
  }
  return { crm, lapsed, input }
}

test('a campaign takes its seed as a safe whole number and its holdout percent as a decimal string', () => {
  const { crm, input } = campaignSetup()
  for (const seed of [-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => crm.launchCampaign(ana, { ...input, seed }), invalid('seed'), `seed ${seed}`)
  }
  assert.throws(() => crm.launchCampaign(ana, { ...input, holdoutPercent: 50 }), invalid('holdout_percent'))
  assert.throws(() => crm.launchCampaign(ana, { ...input, holdoutPercent: 'half' }), invalid('holdout_percent'))
  assert.throws(() => crm.launchCampaign(ana, { ...input, holdoutPercent: '100.5' }), invalid('holdout_percent'))
  assert.throws(() => crm.launchCampaign(ana, { ...input, windowDays: 0 }), invalid('window_days'))
  assert.throws(() => crm.launchCampaign(ana, { ...input, windowDays: -3 }), invalid('window_days'))
  assert.throws(
    () => crm.launchCampaign(ana, { ...input, segment: { field: 'tags', eq: 'nobody' } }),
    invalid('segment'),
  )
  assert.throws(() => crm.launchCampaign(ana, { ...input, segment: { eq: 'lapsed' } }), (err) => err.code === 'config')
  assert.deepEqual(crm.list(ana, 'campaign'), [], 'nothing was launched')
  // The largest safe integer is a seed.
  const campaign = crm.launchCampaign(ana, { ...input, seed: Number.MAX_SAFE_INTEGER })
  assert.equal(campaign.seed, Number.MAX_SAFE_INTEGER)
})

test('a campaign holds out half its members by its seed; the holdout cannot be contacted; results give a rate lift of 0.5', async () => {
  const { crm, lapsed, input } = campaignSetup()
  const campaign = await crm.launchCampaignAsync(ana, input)
  assert.equal(campaign.name, 'Win back')
  assert.equal(campaign.action, '10 % voucher')
  assert.deepEqual(campaign.segment, { field: 'tags', eq: 'lapsed' })
  assert.equal(campaign.holdoutPercent, '50')
  assert.equal(campaign.seed, 7)
  assert.equal(campaign.windowDays, 30)
  assert.equal(campaign.owner, 'ana')
  assert.equal(campaign.launchedAt, '2026-01-05T09:00:00Z')
  const ids = lapsed.map((customer) => customer.id).sort()
  assert.deepEqual(campaign.members.map((member) => member.customer), ids, 'members sorted by id')
  // The draw is drawHoldout's, over the members in their order.
  assert.deepEqual(campaign.members.map((member) => member.holdout), drawHoldout(4, '50', 7))
  const held = campaign.members.filter((member) => member.holdout).map((member) => member.customer)
  const treated = campaign.members.filter((member) => !member.holdout).map((member) => member.customer)
  assert.equal(held.length, 2)

  assert.throws(() => crm.recordCampaignContacts(ana, campaign.id, [held[0]]), invalid('customers'))
  await assert.rejects(crm.recordCampaignContactsAsync(ana, campaign.id, [held[0]]), invalid('customers'))
  assert.throws(() => crm.recordCampaignContacts(ana, campaign.id, [treated[0]], '2030-01-01T00:00:00Z'), invalid('at'))

  crm.advanceClock({ days: 1 })
  const contacted = crm.recordCampaignContacts(ana, campaign.id, treated)
  for (const member of contacted.members) {
    assert.equal(member.contactedAt, member.holdout ? null : '2026-01-06T09:00:00Z')
    assert.equal(member.contactedBy, member.holdout ? null : 'ana')
  }
  assert.equal(crm.get(ana, 'campaign', campaign.id).campaign.version, 2)
  assert.deepEqual(crm.history(ana, 'campaign', campaign.id).map((event) => event.action), ['launch', 'contact'])

  crm.advanceClock({ days: 1 })
  crm.recordPurchase(ana, { customer: treated[0], reference: 'W-1', amount: eur('30.00') })
  crm.recordPurchase(ana, { customer: treated[1], reference: 'W-2', amount: eur('10.00') })
  crm.recordPurchase(ana, { customer: held[0], reference: 'W-3', amount: eur('15.00') })

  const measure = crm.campaignResults(ana, campaign.id, '2026-03-01T00:00:00Z')
  assert.equal(measure.asOf, '2026-03-01T00:00:00Z')
  assert.equal(measure.complete, true)
  assert.deepEqual(measure.treated, {
    members: 2, contacted: 2, repurchased: 2, repurchaseRate: 1, revenue: '40.00', revenuePerCustomer: '20.00',
  })
  assert.deepEqual(measure.holdout, {
    members: 2, contacted: 0, repurchased: 1, repurchaseRate: 0.5, revenue: '15.00', revenuePerCustomer: '7.50',
  })
  assert.equal(measure.rateLift, 0.5)
  assert.equal(measure.revenueLift, '12.50')
  assert.equal(measure.rateLiftCi95.length, 2)
  const [low, high] = measure.rateLiftCi95
  assert.ok(typeof low === 'number' && low <= 0.5 && 0.5 <= high, `${low} <= 0.5 <= ${high}`)
  const outcome = measure.members.find((member) => member.customer === held[0])
  assert.deepEqual(outcome, {
    customer: held[0], holdout: true, contacted: false, start: '2026-01-05T09:00:00Z', purchases: 1, revenue: '15.00',
  })
  // Before anyone's window ends, and by the clock when no time is given.
  const early = await crm.campaignResultsAsync(ana, campaign.id)
  assert.equal(early.asOf, '2026-01-07T09:00:00Z')
  assert.equal(early.complete, false)
})

test('loyaltyPoints and drawHoldout, with their Async twins and their errors', async () => {
  const summer = { earn: [{ name: 'base', per: '1.00', points: 1 }, { name: 'summer', campaign: 'summer', multiply: '1.5' }] }
  const lines = [{ amount: '9.99' }]
  assert.deepEqual(loyaltyPoints(summer, lines, null, 'summer'), { points: 14, base: '9.99', multiplier: '1.5', rules: ['base', 'summer'] })
  assert.deepEqual(loyaltyPoints(JSON.stringify(summer), lines), { points: 9, base: '9.99', multiplier: '1', rules: ['base'] })
  assert.deepEqual(await loyaltyPointsAsync(summer, lines, undefined, 'summer'), loyaltyPoints(summer, lines, null, 'summer'))
  assert.throws(
    () => loyaltyPoints({ earn: [{ name: 'base', per: '0', points: 1 }] }, lines),
    (err) => err.code === 'config' && err.path === 'loyalty.earn[0].per',
  )
  await assert.rejects(loyaltyPointsAsync({ earn: 'all' }, lines), (err) => err.code === 'config' && err.path === 'loyalty')

  const draw = drawHoldout(10, '20', 7)
  assert.equal(draw.length, 10)
  assert.equal(draw.filter(Boolean).length, 2)
  assert.deepEqual(await drawHoldoutAsync(10, '20', 7), draw)
  // Another seed draws other members (as many).
  const other = drawHoldout(10, '20', 8)
  assert.equal(other.filter(Boolean).length, 2)
  assert.notDeepEqual(other, draw)
  assert.equal(drawHoldout(10, '25', 7).filter(Boolean).length, 3, 'half up: 2.5 holds out 3')
  assert.deepEqual(drawHoldout(0, '50', 1), [])
  assert.throws(() => drawHoldout(10, '20', -1), invalid('seed'))
  assert.throws(() => drawHoldout(10, '20', 2 ** 53), invalid('seed'))
  assert.throws(() => drawHoldout(10, 20, 7), invalid('percent'))
  assert.throws(() => drawHoldout(10, '101', 7), invalid('holdout_percent'))
  assert.throws(() => drawHoldout(-1, '20', 7), invalid('n'))
  await assert.rejects(drawHoldoutAsync(10, '20', 0.5), invalid('seed'))
})
