// Customer value in the engine through the Node API: refreshCustomerValue
// (its typed result, the tiers and stages it writes back, its `asOf`), the
// customer's `stageSince`, the `win_back` due work it leads to, the `rfm` and
// `value_currency` configuration, its Async twin, and bad input as typed
// errors. The scoring itself is tested in Rust and by the shared vectors
// tests/vectors/customer_value.json and rfm.json; these tests prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Crm } from '../index.js'

const admin = { user: 'root', roles: ['admin'] }
const sue = { user: 'sue', roles: ['supervisor'], team: 'east' }
const ana = { user: 'ana', roles: ['sales'], team: 'east' }

/**
 * An engine with team east (sue, ana) and two of ana's customers: `weekly`,
 * who bought three times a week apart, and `once`, who bought once; the clock
 * is then 46 days past the last purchase (2026-03-06T09:00:00Z).
 */
function setUp(config = { rfm: { ties: 'equal' } }) {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 3, config })
  crm.saveTeam(admin, { id: 'east', name: 'East', supervisor: 'sue' })
  crm.saveUser(admin, { id: 'ana', name: 'Ana', team: 'east', roles: ['sales'] })
  const weekly = crm.createCustomer(ana, { name: 'Weekly', owner: 'ana' })
  const once = crm.createCustomer(ana, { name: 'Once', owner: 'ana' })
  buy(crm, weekly.id, '100.00')
  buy(crm, once.id, '50.00')
  crm.advanceClock({ days: 7 })
  buy(crm, weekly.id, '100.00')
  crm.advanceClock({ days: 7 })
  buy(crm, weekly.id, '100.00')
  crm.advanceClock({ days: 46 })
  return { crm, weekly, once }
}

/** A purchase: a deal won and its contract signed, now. */
function buy(crm, customer, amount, currency = 'EUR') {
  const deal = crm.createOpportunity(ana, {
    customer,
    name: `${amount} ${currency}`,
    expectedAmount: { amount, currency },
  })
  crm.advanceOpportunity(ana, deal.id)
  const { contract } = crm.winOpportunity(ana, deal.id)
  return crm.signContract(sue, contract.id)
}

/** Runs `action`, which must throw; checks the error's code and properties. */
function fails(action, code, properties = {}) {
  let thrown
  try {
    action()
  } catch (err) {
    thrown = err
  }
  assert.ok(thrown !== undefined, `expected a ${code} error, nothing was thrown`)
  assert.ok(thrown instanceof Error, 'errors are Error objects')
  assert.equal(thrown.code, code, thrown.message)
  for (const [name, expected] of Object.entries(properties)) {
    assert.deepEqual(thrown[name], expected, `${name} of: ${thrown.message}`)
  }
  return thrown
}

test('a refresh moves stages and tiers: a typed result, and the customers written back', () => {
  const { crm, weekly, once } = setUp()
  assert.equal(weekly.stage, 'prospect')
  assert.equal(weekly.stageSince, '2026-01-05T09:00:00Z', 'a new customer is in its stage since its creation')
  assert.equal(weekly.tier, null)
  // Its first won deal made it a `new` customer.
  const before = crm.get(ana, 'customer', weekly.id).customer
  assert.deepEqual([before.stage, before.tier, before.stageSince], ['new', null, '2026-01-05T09:00:00Z'])

  const refresh = crm.refreshCustomerValue(admin)
  assert.deepEqual(refresh, {
    scored: 2,
    tiersChanged: 2,
    stagesChanged: 2,
    batches: 1,
    skipped: { future: 0, refundOnly: 0 },
  })
  assert.deepEqual(Object.keys(refresh), ['scored', 'tiersChanged', 'stagesChanged', 'batches', 'skipped'])

  // Weekly has been silent for 46 days, far past its weekly cadence: dormant.
  const after = crm.get(ana, 'customer', weekly.id).customer
  assert.deepEqual([after.stage, after.tier, after.stageSince], ['dormant', 'B', '2026-03-06T09:00:00Z'])
  const event = crm.history(admin, 'customer', weekly.id).at(-1)
  assert.deepEqual([event.action, event.from, event.to, event.actor], ['value', 'new', 'dormant', 'root'])
  assert.equal(event.payload.as_of, '2026-03-06T09:00:00Z', 'as of the clock by default')
  // Once bought once, with no cadence to fall behind: active, the lowest tier.
  const other = crm.get(ana, 'customer', once.id).customer
  assert.deepEqual([other.stage, other.tier], ['active', 'C'])

  // Nothing changed since: nothing is written.
  assert.deepEqual(crm.refreshCustomerValue(admin), {
    scored: 2,
    tiersChanged: 0,
    stagesChanged: 0,
    batches: 0,
    skipped: { future: 0, refundOnly: 0 },
  })
  assert.equal(crm.get(ana, 'customer', weekly.id).customer.version, after.version)
})

test('a dormant customer comes due to its owner as a win_back', () => {
  const { crm, weekly } = setUp()
  assert.deepEqual(crm.dueWork(ana), [], 'nothing is due before the refresh')
  crm.refreshCustomerValue(admin)
  // Due the follow-up time (3 days) after it entered the stage.
  crm.advanceClock({ days: 4 })
  const work = crm.dueWork(ana)
  assert.deepEqual(work, [
    {
      user: 'ana',
      overdue: 1,
      items: [
        {
          subject: { kind: 'customer', id: weekly.id },
          kind: 'win_back',
          title: 'Weekly',
          dueAt: '2026-03-09T09:00:00Z',
          overdue: true,
          care: null,
        },
      ],
    },
  ])
  // At an explicit time before it is due (and beyond the look-ahead): not yet.
  assert.deepEqual(crm.dueWork(ana, '2026-03-07T09:00:00Z'), [])
})

test('asOf: an RFC 3339 string or a Date; purchases after it are left out', () => {
  for (const asOf of ['2026-01-20T09:00:00Z', new Date('2026-01-20T09:00:00Z')]) {
    const { crm, weekly } = setUp()
    // Two weeks in, everyone bought within their cadence; the last purchase
    // of weekly (2026-01-19) is before asOf, none after.
    const refresh = crm.refreshCustomerValue(admin, asOf)
    assert.deepEqual([refresh.scored, refresh.skipped], [2, { future: 0, refundOnly: 0 }])
    assert.equal(crm.get(ana, 'customer', weekly.id).customer.stage, 'active')
  }
  // A week in: the third purchase of weekly (2026-01-19) had not happened yet.
  const { crm } = setUp()
  assert.deepEqual(crm.refreshCustomerValue(admin, '2026-01-13T00:00:00+01:00').skipped, {
    future: 1,
    refundOnly: 0,
  })
  // Before any purchase: no one is scored, nothing is written.
  const before = crm.refreshCustomerValue(admin, '2026-01-01T00:00:00Z')
  assert.deepEqual([before.scored, before.batches, before.skipped.future], [0, 0, 4])
})

test('bad asOf is a validation error naming as_of; nothing is written', () => {
  const { crm, weekly } = setUp()
  fails(() => crm.refreshCustomerValue(admin, 'yesterday'), 'validation', { fields: ['as_of'] })
  fails(() => crm.refreshCustomerValue(admin, '2026-02-30T00:00:00Z'), 'validation', { fields: ['as_of'] })
  fails(() => crm.refreshCustomerValue(admin, new Date('not a date')), 'validation', { fields: ['as_of'] })
  fails(() => crm.refreshCustomerValue(admin, 20260101), 'validation', { fields: ['as_of'] })
  fails(() => crm.refreshCustomerValue(admin, {}), 'validation', { fields: ['as_of'] })
  const customer = crm.get(ana, 'customer', weekly.id).customer
  assert.deepEqual([customer.stage, customer.tier], ['new', null])
})

test('the rfm and value_currency configuration pass through to the core', () => {
  // Contracts in two currencies: the refresh needs to be told which one to score.
  const mixed = setUp()
  buy(mixed.crm, mixed.once.id, '70.00', 'USD')
  fails(() => mixed.crm.refreshCustomerValue(admin), 'config', { path: 'value_currency' })

  const chosen = setUp({ rfm: { ties: 'equal' }, value_currency: 'EUR' })
  buy(chosen.crm, chosen.once.id, '70.00', 'USD')
  assert.equal(chosen.crm.refreshCustomerValue(admin).scored, 2)

  fails(() => new Crm({ config: { rfm: { bins: 1 } } }), 'config')
  fails(() => new Crm({ config: { value_currency: 'EURO' } }), 'config')
})

test('refreshCustomerValueAsync resolves to the same result and rejects with the same errors', async () => {
  const sync = setUp()
  const async = setUp()
  assert.deepEqual(await async.crm.refreshCustomerValueAsync(admin), sync.crm.refreshCustomerValue(admin))
  assert.deepEqual(
    async.crm.get(ana, 'customer', async.weekly.id).customer,
    sync.crm.get(ana, 'customer', sync.weekly.id).customer,
  )
  assert.deepEqual(
    await async.crm.refreshCustomerValueAsync(admin, new Date('2026-01-13T00:00:00Z')),
    sync.crm.refreshCustomerValue(admin, '2026-01-13T00:00:00Z'),
  )
  await assert.rejects(async.crm.refreshCustomerValueAsync(admin, 'later'), {
    code: 'validation',
    fields: ['as_of'],
  })
  await assert.rejects(async.crm.refreshCustomerValueAsync({ user: '' }), { code: 'validation' })
})
