// Duplicates in the store through the Node API: findDuplicates (a candidate
// record as `dedupe` takes it) and findDuplicatesOf (a stored record), merge
// and unmerge, their `...Async` twins, and bad input as typed errors. The
// matching and the merge themselves are tested in Rust and by the shared
// vector tests/vectors/merge.json; these tests prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Crm } from '../index.js'

const admin = { user: 'root', roles: ['admin'] }
const ana = { user: 'ana', roles: ['sales'] }

/** An engine with two records of one company, an hour apart, and a contact at the second. */
function setUp() {
  const crm = new Crm({ now: '2026-03-02T09:00:00Z', seed: 3 })
  const acme = crm.createCustomer(admin, { name: 'Acme Widgets Ltd', phone: '+1 415 555 0134', tags: ['vip'] })
  crm.advanceClock({ hours: 1 })
  const acme2 = crm.createCustomer(admin, {
    name: 'ACME WIDGETS LIMITED',
    region: 'west',
    email: 'info@acme.example',
    tags: ['eu'],
  })
  const maria = crm.addContact(admin, { customer: acme2.id, name: 'Maria Garcia', emails: ['maria@acme.example'] })
  return { crm, acme: acme.id, acme2: acme2.id, maria: maria.id }
}

const customer = (id) => ({ kind: 'customer', id })

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

test('findDuplicates finds a stored customer by a reformatted phone, with camelCase results', () => {
  const { crm, acme } = setUp()
  const found = crm.findDuplicates(admin, { company: 'Acme Widgets Inc.', phone: '(415) 555-0134' })
  assert.equal(found.length, 1, JSON.stringify(found))
  const [match] = found
  assert.deepEqual(match.record, customer(acme))
  assert.ok(match.probability > 0.9 && match.probability <= 1, `${match.probability}`)
  assert.ok(match.rule === null || typeof match.rule === 'string')
  assert.equal(match.explanation.matched, true)
  assert.equal(match.explanation.probability, match.probability)
  const phone = match.explanation.fields.find((field) => field.field === 'phone')
  assert.equal(phone.level, 'exact')
  assert.ok(phone.left && phone.right, 'both phones are there')
  assert.equal(typeof match.explanation.decidedBy, 'string')
  assert.equal(typeof match.explanation.namesSwapped, 'boolean')
  assert.ok(!('decided_by' in match.explanation), 'keys are camelCase')

  // A person, by email in another case and swapped names: the contact.
  const [contact, none] = crm.findDuplicates(admin, { name: 'Garcia Maria', email: 'MARIA@acme.example' })
  assert.equal(contact.record.kind, 'contact')
  assert.equal(contact.explanation.namesSwapped, true)
  assert.equal(none, undefined)

  // Only what the actor may read: ana reads no customer of root's.
  assert.deepEqual(crm.findDuplicates(ana, { company: 'Acme Widgets', phone: '415 555 0134' }), [])
  // Nothing alike: nothing found.
  assert.deepEqual(crm.findDuplicates(admin, { firstName: 'Zed', lastName: 'Quux', email: 'zed@nowhere.example' }), [])
})

test('findDuplicatesOf matches a stored record by its own fields, itself left out', () => {
  const { crm, acme } = setUp()
  const acme3 = crm.createCustomer(admin, { name: 'Acme Widgets Inc.', phone: '(415) 555-0134' }).id
  const found = crm.findDuplicatesOf(admin, 'customer', acme)
  assert.deepEqual(
    found.map((match) => match.record),
    [customer(acme3)],
  )
  assert.equal(found[0].explanation.matched, true)
  assert.deepEqual(
    crm.findDuplicatesOf(admin, 'customer', acme3).map((match) => match.record),
    [customer(acme)],
  )
  fails(() => crm.findDuplicatesOf(admin, 'customer', '00000000-0000-7000-8000-000000000000'), 'not_found')
  fails(() => crm.findDuplicatesOf(admin, 'customer', 'nope'), 'validation', { fields: ['customer_id'] })
  fails(() => crm.findDuplicatesOf(admin, 'planet', acme), 'validation', { fields: ['entity'] })
  fails(() => crm.findDuplicatesOf(ana, 'customer', acme), 'forbidden')
})

test('a bad candidate is a validation error naming the key, as dedupe reads records', () => {
  const { crm } = setUp()
  fails(() => crm.findDuplicates(admin, { company: 'Acme', phone: 415 }), 'validation', {
    fields: ['record.phone'],
  })
  fails(() => crm.findDuplicates(admin, { company: 'Acme', first_name: 'Jo' }), 'validation', {
    fields: ['record.first_name'],
  })
  fails(() => crm.findDuplicates(admin, 'Acme'), 'validation', { fields: ['record'] })
})

test('merge moves a contact to the survivor and marks the other; unmerge moves it back', () => {
  const { crm, acme, acme2, maria } = setUp()
  const outcome = crm.merge(admin, { records: [customer(acme), customer(acme2)], reason: 'the same company' })
  assert.equal(outcome.survivor.entity, 'customer')
  const survivor = outcome.survivor.customer
  assert.equal(survivor.id, acme, 'the oldest survives by default')
  assert.equal(survivor.name, 'Acme Widgets Ltd', 'the survivor keeps its values')
  assert.equal(survivor.region, 'west', 'and takes the empty ones')
  assert.equal(survivor.email, 'info@acme.example')
  assert.deepEqual(survivor.tags, ['vip', 'eu'])
  assert.equal(survivor.mergedInto, null)
  assert.deepEqual(outcome.merged, [customer(acme2)])
  assert.deepEqual(outcome.moved, [{ kind: 'contact', id: maria }])
  assert.match(outcome.event, /^[0-9a-f-]{36}$/)
  assert.equal(crm.get(admin, 'contact', maria).contact.customer, acme)
  assert.deepEqual(crm.get(admin, 'customer', acme2).customer.mergedInto, customer(acme))
  const merge = crm.history(admin, 'customer', acme).at(-1)
  assert.equal(merge.action, 'merge')
  assert.equal(merge.id, outcome.event)
  // The merged record no longer comes up as a duplicate.
  assert.deepEqual(
    crm.findDuplicates(admin, { company: 'Acme Widgets Limited', email: 'info@acme.example' }).map((m) => m.record),
    [customer(acme)],
  )

  const restored = crm.unmerge(admin, customer(acme), { event: outcome.event, reason: 'two companies after all' })
  assert.equal(restored.entity, 'customer')
  assert.equal(restored.customer.id, acme)
  assert.equal(restored.customer.region, null)
  assert.equal(restored.customer.email, null)
  assert.deepEqual(restored.customer.tags, ['vip'])
  assert.equal(crm.get(admin, 'contact', maria).contact.customer, acme2)
  assert.equal(crm.get(admin, 'customer', acme2).customer.mergedInto, null)

  // Undone already: the records changed since the merge.
  fails(() => crm.unmerge(admin, customer(acme), { event: outcome.event, reason: 'twice' }), 'conflict')
})

test('merge chooses the survivor by name or by rule; unmerge undoes the latest merge by default', () => {
  const { crm, acme, acme2 } = setUp()
  const newest = crm.merge(admin, { records: [customer(acme), customer(acme2)], rule: 'newest', reason: 'dupes' })
  assert.equal(newest.survivor.customer.id, acme2)
  assert.equal(crm.unmerge(admin, customer(acme2), { reason: 'undo' }).customer.id, acme2)
  const named = crm.merge(admin, {
    records: [customer(acme), customer(acme2)],
    survivor: customer(acme2),
    rule: 'oldest',
    reason: 'dupes',
  })
  assert.equal(named.survivor.customer.id, acme2, 'a named survivor wins over the rule')
  assert.deepEqual(named.merged, [customer(acme)])
})

test('merge and unmerge refusals are typed errors naming the field', () => {
  const { crm, acme, acme2, maria } = setUp()
  const both = [customer(acme), customer(acme2)]
  fails(() => crm.merge(admin, { records: both, reason: '' }), 'validation', { fields: ['reason'] })
  fails(() => crm.merge(admin, { records: both, reason: '  ' }), 'validation', { fields: ['reason'] })
  fails(() => crm.merge(admin, { records: [customer(acme)], reason: 'alone' }), 'validation', { fields: ['records'] })
  fails(() => crm.merge(admin, { records: [customer(acme), customer(acme)], reason: 'twice' }), 'validation', {
    fields: ['records'],
  })
  fails(() => crm.merge(admin, { records: [customer(acme), { kind: 'contact', id: maria }], reason: 'mixed' }), 'validation', {
    fields: ['records'],
  })
  fails(() => crm.merge(admin, { records: both, survivor: { kind: 'contact', id: maria }, reason: 'x' }), 'validation', {
    fields: ['survivor'],
  })
  const bad = fails(() => crm.merge(admin, { records: both, rule: 'loudest', reason: 'x' }), 'validation', {
    fields: ['rule'],
  })
  assert.match(bad.message, /oldest, newest or most_complete/)
  fails(() => crm.merge(admin, { records: [customer(acme), customer('nope')], reason: 'x' }), 'validation', {
    fields: ['customer_id'],
  })
  fails(() => crm.merge(ana, { records: both, reason: 'x' }), 'forbidden')

  fails(() => crm.unmerge(admin, customer(acme), { reason: 'nothing merged' }), 'validation', { fields: ['event'] })
  fails(() => crm.unmerge(admin, customer(acme), { event: 'nope', reason: 'x' }), 'validation', { fields: ['event'] })
  const { event } = crm.merge(admin, { records: both, reason: 'dupes' })
  fails(() => crm.unmerge(admin, customer(acme), { event, reason: ' ' }), 'validation', { fields: ['reason'] })
  fails(() => crm.unmerge(admin, customer(acme2), { event, reason: 'wrong survivor' }), 'validation', {
    fields: ['event'],
  })
  // Merged already: the records cannot be merged again.
  fails(() => crm.merge(admin, { records: both, reason: 'again' }), 'validation', { fields: ['records'] })
})

test('the Async twins settle with what the synchronous methods return or throw', async () => {
  const { crm, acme, acme2, maria } = setUp()
  const candidate = { company: 'Acme Widgets Inc.', phone: '(415) 555-0134' }
  assert.deepEqual(await crm.findDuplicatesAsync(admin, candidate), crm.findDuplicates(admin, candidate))
  assert.deepEqual(await crm.findDuplicatesOfAsync(admin, 'customer', acme), crm.findDuplicatesOf(admin, 'customer', acme))
  await assert.rejects(crm.findDuplicatesAsync(admin, { phone: 415 }), { code: 'validation', fields: ['record.phone'] })

  const records = [customer(acme), customer(acme2)]
  await assert.rejects(crm.mergeAsync(admin, { records, reason: '' }), { code: 'validation', fields: ['reason'] })
  const outcome = await crm.mergeAsync(admin, { records, reason: 'dupes' })
  assert.deepEqual(outcome.moved, [{ kind: 'contact', id: maria }])
  const restored = await crm.unmergeAsync(admin, customer(acme), { event: outcome.event, reason: 'undo' })
  assert.equal(restored.customer.id, acme)
  await assert.rejects(crm.unmergeAsync(admin, customer(acme), { event: outcome.event, reason: 'again' }), {
    code: 'conflict',
  })
})
