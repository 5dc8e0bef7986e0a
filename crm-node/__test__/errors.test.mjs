// Bad input from JS never crashes the process: it is thrown as an `Error` with
// a stable `code` and the error's fields. The logic behind the errors is tested
// in Rust; these tests prove the marshalling.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Crm } from '../index.js'

const admin = { user: 'root', roles: ['admin'] }
const ana = { user: 'ana', roles: ['sales'], team: 'east' }
const bo = { user: 'bo', roles: ['sales'], team: 'east' }
const megabyte = 'x'.repeat(1024 * 1024)

function setUp() {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 7 })
  crm.saveTeam(admin, { id: 'east', name: 'Sales East' })
  crm.saveUser(admin, { id: 'ana', name: 'Ana', team: 'east', roles: ['sales'] })
  crm.saveUser(admin, { id: 'bo', name: 'Bo', team: 'east', roles: ['sales'] })
  const lead = crm.createLead(ana, { company: 'Acme', owner: 'ana' })
  const customer = crm.createCustomer(ana, { name: 'Acme' })
  const deal = crm.createOpportunity(ana, { customer: customer.id, name: 'Deal' })
  return { crm, lead, customer, deal }
}

/** Runs `action`, which must throw; checks the error's code and fields. */
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
  assert.equal(typeof thrown.message, 'string')
  for (const [name, expected] of Object.entries(properties)) {
    assert.deepEqual(thrown[name], expected, `${name} of: ${thrown.message}`)
  }
  return thrown
}

test('errors are Error objects with a code, the core message and the fields', () => {
  const { crm, lead } = setUp()
  const err = fails(() => crm.discardLead(ana, lead.id, ' '), 'validation', {
    fields: ['reason'],
    value: null,
  })
  assert.equal(err.message, 'invalid reason: `discard` needs a reason')
  assert.equal(typeof err.reason, 'string')
  assert.match(err.stack, /invalid reason/)

  crm.qualifyLead(ana, lead.id)
  fails(() => crm.qualifyLead(ana, lead.id), 'invalid_transition', {
    entity: 'lead',
    id: lead.id,
    from: 'qualified',
    action: 'qualify',
  })
})

test('conflict, not_found and forbidden carry their fields', () => {
  const { crm, deal } = setUp()
  crm.update(ana, 'opportunity', deal.id, 1, { name: 'Renamed' })
  fails(() => crm.update(ana, 'opportunity', deal.id, 1, { name: 'Stale' }), 'conflict', {
    entity: 'opportunity',
    id: deal.id,
    expectedVersion: 1,
    found: 2,
  })
  const missing = '0194a000-0000-7000-8000-000000000000'
  fails(() => crm.get(ana, 'ticket', missing), 'not_found', { entity: 'ticket', id: missing })
  fails(() => crm.get({ user: 'sam', roles: ['support'] }, 'opportunity', deal.id), 'forbidden', {
    actor: 'sam',
    action: 'read',
    entity: 'opportunity',
    id: deal.id,
  })
})

test('a negative amount, an unknown currency and a malformed amount are validation errors', () => {
  const { crm, customer } = setUp()
  const deal = (amount, currency = 'EUR') => () =>
    crm.createOpportunity(ana, { customer: customer.id, name: 'D', expectedAmount: { amount, currency } })
  fails(deal('-5'), 'validation', { fields: ['expected_amount'] })
  fails(deal('10', 'XYZ'), 'validation', { fields: ['currency'] })
  fails(deal('1e5'), 'validation', { fields: ['amount'] })
  fails(deal('1.001'), 'validation', { fields: ['amount'] })
  fails(deal(megabyte), 'validation', { fields: ['amount'] })
})

test('unknown kinds, states, actions and enum values are typed errors', () => {
  const { crm, lead, deal } = setUp()
  fails(() => crm.get(ana, 'spaceship', lead.id), 'validation', { fields: ['entity'] })
  fails(() => crm.transition(ana, 'lead', lead.id, 'teleport'), 'invalid_transition', {
    from: 'new',
    action: 'teleport',
  })
  fails(() => crm.advanceOpportunity(ana, deal.id, 'nowhere'), 'invalid_transition')
  fails(() => crm.transition(ana, 'contact', lead.id, 'qualify'), 'validation')
  fails(() => crm.openTicket(ana, { subject: 'S', priority: 'whenever' }), 'validation', {
    fields: ['priority'],
  })
  fails(() => crm.createTask(ana, { title: 'T', priority: 'high' }), 'validation', {
    fields: ['priority'],
  })
  fails(() => crm.createCustomer(ana, { name: 'C', kind: 'robot' }), 'validation', { fields: ['kind'] })
  fails(() => crm.share(ana, 'lead', lead.id, { user: 'bo' }, 'own'), 'validation', {
    fields: ['access'],
  })
  fails(() => crm.share(ana, 'lead', lead.id, {}, 'read'), 'validation', { fields: ['grantee'] })
  fails(
    () =>
      crm.logActivity(ana, { subject: { kind: 'lead', id: lead.id }, kind: 'telepathy', summary: 'S' }),
    'validation',
    { fields: ['kind'] },
  )
  fails(() => crm.update(ana, 'lead', lead.id, 1, { colour: 'red' }), 'validation', {
    fields: ['fields'],
  })
  fails(() => crm.update(ana, 'lead', lead.id, 1, { status: 'converted' }), 'validation', {
    fields: ['status'],
  })
})

test('empty and malformed ids are validation errors naming the id', () => {
  const { crm, lead } = setUp()
  fails(() => crm.qualifyLead(ana, ''), 'validation', { fields: ['lead_id'] })
  fails(() => crm.qualifyLead(ana, 'not-a-uuid'), 'validation', {
    fields: ['lead_id'],
    value: 'not-a-uuid',
  })
  fails(() => crm.qualifyLead({ user: '' }, lead.id), 'validation', { fields: ['user_id'] })
  fails(() => crm.qualifyLead({ user: 'ana', team: ' east' }, lead.id), 'validation', {
    fields: ['team_id'],
  })
  fails(() => crm.saveUser(admin, { id: '', name: 'Nobody' }), 'validation', { fields: ['user_id'] })
  fails(() => crm.assignLead(ana, lead.id, ''), 'validation', { fields: ['user_id'] })
  fails(() => crm.ackOutbox(['nope']), 'validation', { fields: ['event_id'] })
})

test('a 1 MB string is refused, and never echoed whole', () => {
  const { crm, lead } = setUp()
  const cases = [
    [() => crm.createLead(ana, { company: megabyte }), ['company']],
    [() => crm.discardLead(ana, lead.id, megabyte), ['discard_reason']],
    [() => crm.qualifyLead(ana, megabyte), ['lead_id']],
    [() => crm.transition(ana, 'lead', lead.id, megabyte), ['action']],
    [() => crm.get(ana, megabyte, lead.id), ['entity']],
    [() => crm.qualifyLead({ user: megabyte }, lead.id), ['user_id']],
    [() => crm.openTicket(ana, { subject: 'S', priority: megabyte }), ['priority']],
    [() => crm.update(ana, 'lead', lead.id, 1, { title: megabyte }), ['title']],
    [() => crm.update(ana, 'lead', lead.id, 1, { [megabyte]: 1 }), ['fields']],
    [() => crm.createTask(ana, { title: 'T', dueAt: megabyte }), ['due_at']],
    [
      () => crm.logActivity(ana, { subject: { kind: 'lead', id: lead.id }, kind: 'call', summary: megabyte }),
      ['summary'],
    ],
  ]
  for (const [action, fields] of cases) {
    const err = fails(action, 'validation', { fields })
    assert.ok(err.message.length < 300, `${fields}: a short message`)
  }
})

test('NaN, Infinity, negative and fractional numbers are validation errors', () => {
  const { crm, lead } = setUp()
  for (const limit of [NaN, Infinity, -Infinity, -1, 1.5, 2 ** 60]) {
    fails(() => crm.takeOutbox(limit), 'validation', { fields: ['limit'] })
  }
  for (const version of [NaN, -1, 0.5]) {
    fails(() => crm.update(ana, 'lead', lead.id, version, { title: 'T' }), 'validation', {
      fields: ['expected_version'],
    })
    fails(
      () => crm.transition(ana, 'lead', lead.id, 'qualify', { expectedVersion: version }),
      'validation',
      { fields: ['expected_version'] },
    )
  }
  fails(() => crm.createLead(ana, { company: 'X', qualityScore: NaN }), 'validation', {
    fields: ['quality_score'],
  })
  fails(() => crm.createLead(ana, { company: 'X', qualityScore: 101 }), 'validation', {
    fields: ['quality_score'],
  })
  fails(() => crm.createLead(ana, { company: 'X', qualityScore: 1e9 }), 'validation', {
    fields: ['quality_score'],
  })
  fails(() => crm.advanceClock({ hours: Infinity }), 'validation', { fields: ['hours'] })
  fails(() => crm.advanceClock({ minutes: 0.5 }), 'validation', { fields: ['minutes'] })
  fails(() => crm.advanceClock({ days: 2 ** 52 }), 'validation', { fields: ['days'] })
  fails(() => new Crm({ seed: -1 }), 'validation', { fields: ['seed'] })
  fails(() => new Crm({ seed: NaN }), 'validation', { fields: ['seed'] })
})

test('bad dates and times are validation errors naming the field', () => {
  const { crm, customer } = setUp()
  fails(() => new Crm({ now: 'yesterday' }), 'validation', { fields: ['now'] })
  fails(() => new Crm({ now: new Date('not a date') }), 'validation', { fields: ['now'] })
  fails(() => crm.setNow('2026-13-01T00:00:00Z'), 'validation', { fields: ['now'] })
  fails(() => crm.setNow(42), 'validation', { fields: ['now'] })
  fails(() => crm.createTask(ana, { title: 'T', dueAt: 'tomorrow' }), 'validation', {
    fields: ['due_at'],
  })
  fails(() => crm.createTask(ana, { title: 'T', dueAt: {} }), 'validation', { fields: ['due_at'] })
  fails(
    () => crm.createOpportunity(ana, { customer: customer.id, name: 'D', expectedCloseDate: '2026-02-30' }),
    'validation',
    { fields: ['expected_close_date'] },
  )
})

test('the clock: system clocks do not move; times are exact to the microsecond', () => {
  const system = new Crm()
  assert.match(system.now(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  fails(() => system.advanceClock({ days: 1 }), 'validation', { fields: ['clock'] })
  fails(() => system.setNow('2026-01-05T09:00:00Z'), 'validation', { fields: ['clock'] })

  const crm = new Crm({ now: '2026-01-05T10:00:00.123456+01:00', seed: 1 })
  assert.equal(crm.now(), '2026-01-05T09:00:00.123456Z')
  const lead = crm.createLead(ana, { company: 'Acme', owner: 'ana' })
  assert.equal(lead.createdAt, '2026-01-05T09:00:00.123456Z')
  crm.setNow(new Date('2026-02-01T00:00:00.250Z'))
  assert.equal(crm.now(), '2026-02-01T00:00:00.250Z')
  crm.advanceClock({ days: 1, hours: -1, minutes: 30 })
  assert.equal(crm.now(), '2026-02-01T23:30:00.250Z')
  const task = crm.createTask(ana, { title: 'T', dueAt: new Date('2026-02-03T17:00:00Z') })
  assert.equal(task.dueAt, '2026-02-03T17:00:00Z')
})

test('money is strings both ways; update takes camelCase or snake_case fields', () => {
  const { crm, deal } = setUp()
  const updated = crm.update(ana, 'opportunity', deal.id, 1, {
    expectedAmount: { amount: '12000.5', currency: 'eur' },
    expected_close_date: '2026-03-31',
  })
  assert.equal(updated.entity, 'opportunity')
  assert.deepEqual(updated.opportunity.expectedAmount, { amount: '12000.50', currency: 'EUR' })
  assert.equal(updated.opportunity.expectedCloseDate, '2026-03-31')
  const [, change] = crm.history(ana, 'opportunity', deal.id)
  assert.deepEqual(
    change.changes.map((c) => c.field),
    ['expected_amount', 'expected_close_date'],
  )
  assert.deepEqual(change.changes[0].new, { amount: '12000.50', currency: 'EUR' })
  assert.equal(change.changes[0].old, null)
  // A JS number is not money.
  assert.throws(() =>
    crm.update(ana, 'opportunity', deal.id, 2, { expectedAmount: { amount: 5, currency: 'EUR' } }),
  )
  assert.throws(() =>
    crm.createOpportunity(ana, { customer: deal.customer, name: 'N', expectedAmount: { amount: 5, currency: 'EUR' } }),
  )
})

test('custom values are JSON, checked by the core', () => {
  const { crm } = setUp()
  fails(() => crm.createLead(ana, { company: 'X', custom: 5 }), 'validation', { fields: ['custom'] })
  fails(() => crm.createLead(ana, { company: 'X', custom: { size: { text: 'L' } } }), 'validation', {
    fields: ['custom.size'],
  })
  const lead = crm.createLead(ana, { company: 'X', owner: 'ana' })
  assert.deepEqual(lead.custom, {})
  fails(() => crm.update(ana, 'lead', lead.id, 1, 'not an object'), 'validation', {
    fields: ['fields'],
  })
})

test('values of the wrong JS type are refused before crm sees them, without a crash', () => {
  const { crm, lead } = setUp()
  const wrongTypes = [
    () => crm.createLead(ana, { company: 5 }),
    () => crm.qualifyLead(ana, 42),
    () => crm.qualifyLead(null, lead.id),
    () => crm.qualifyLead({}, lead.id),
    () => crm.takeOutbox('ten'),
    () => crm.ackOutbox('not a list'),
    () => crm.advanceClock(),
  ]
  // napi-rs refuses them with its own codes (`StringExpected`, `InvalidArg`,
  // ...) or V8's TypeError; either way an Error, and the process lives on.
  for (const action of wrongTypes) {
    assert.throws(action, Error)
  }
  // The engine is still there and consistent.
  assert.equal(crm.get(ana, 'lead', lead.id).lead.status, 'new')
})

test('generic results hold exactly the record their entity names', () => {
  const { crm, lead } = setUp()
  const any = crm.get(ana, 'lead', lead.id)
  assert.deepEqual(Object.keys(any).sort(), ['entity', 'lead'])
  assert.equal(any[any.entity].id, lead.id)
  const shared = crm.share(ana, 'lead', lead.id, { user: 'bo' }, 'read')
  assert.deepEqual(shared.lead.shares, [{ grantee: { user: 'bo' }, access: 'read' }])
  assert.equal(crm.get(bo, 'lead', lead.id).lead.id, lead.id)
  const unshared = crm.unshare(ana, 'lead', lead.id, { user: 'bo' })
  assert.deepEqual(unshared.lead.shares, [])
  fails(() => crm.get(bo, 'lead', lead.id), 'forbidden', { actor: 'bo', action: 'read' })
  fails(() => crm.unshare(ana, 'lead', lead.id, { user: 'bo' }), 'validation', { fields: ['grantee'] })
})

test('list: bad kind, owner and limit are validation errors naming them', async () => {
  const { crm, deal } = setUp()
  fails(() => crm.list(ana, 'spaceship'), 'validation', { fields: ['entity'] })
  fails(() => crm.list(ana, 'opportunity', { owner: '' }), 'validation', { fields: ['owner'] })
  for (const limit of [-1, NaN, 1.5, Infinity]) {
    fails(() => crm.list(ana, 'opportunity', { limit }), 'validation', { fields: ['limit'] })
  }
  await assert.rejects(crm.listAsync(ana, 'opportunity', { limit: -1 }), {
    code: 'validation',
    fields: ['limit'],
  })
  const listed = await crm.listAsync(ana, 'opportunity', { owner: 'ana', limit: 1 })
  assert.deepEqual(
    listed.map((any) => [any.entity, any.opportunity.id]),
    [['opportunity', deal.id]],
  )
})

test('a getter that calls back into the engine while arguments are read is safe', () => {
  const { crm, lead } = setUp()
  let inner
  const sneaky = {
    get user() {
      inner = crm.createLead(ana, { company: 'Nested', owner: 'ana' })
      return 'ana'
    },
    roles: ['sales'],
  }
  assert.equal(crm.qualifyLead(sneaky, lead.id).status, 'qualified')
  assert.equal(crm.get(ana, 'lead', inner.id).lead.company, 'Nested')
})
