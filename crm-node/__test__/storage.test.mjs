// Keeping data: `Crm.open` over a SQLite file or a PostgreSQL database, and
// the `...Async` methods that run commands on the thread pool. The stores
// themselves are tested in Rust (crm-sqlite, crm-postgres); these tests prove
// the binding: what is written can be read back by a new engine, the Promises
// settle with the same values and errors as the synchronous methods, and
// concurrent calls on one engine stay consistent.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Crm } from '../index.js'

const ana = { user: 'ana', roles: ['sales'] }
const indexJs = new URL('../index.js', import.meta.url).href

/** A fresh temporary directory, removed when the test ends. */
function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'crm-node-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('a file keeps the records: a new Crm over it reads the lead and its history', (t) => {
  const file = join(tempDir(t), 'crm.db')
  let id
  {
    const crm = Crm.open(file, { now: '2026-01-05T09:00:00Z' })
    assert.ok(crm instanceof Crm)
    id = crm.createLead(ana, { company: 'Acme GmbH', owner: 'ana' }).id
    assert.equal(crm.qualifyLead(ana, id).status, 'qualified')
  } // The first engine is out of reach here; the file holds what it wrote.
  assert.ok(existsSync(file), 'the file was created')

  const again = Crm.open(file)
  const { lead } = again.get(ana, 'lead', id)
  assert.equal(lead.company, 'Acme GmbH')
  assert.equal(lead.status, 'qualified')
  assert.equal(lead.version, 2)
  assert.equal(lead.createdAt, '2026-01-05T09:00:00Z')
  const history = again.history(ana, 'lead', id)
  assert.deepEqual(
    history.map((event) => [event.action, event.from, event.to]),
    [
      ['create', null, 'new'],
      ['qualify', 'new', 'qualified'],
    ],
  )
  // It carries on where the first left off.
  assert.equal(again.transition(ana, 'lead', id, 'discard', { reason: 'not now' }).lead.status, 'discarded')
  assert.equal(Crm.open(file).history(ana, 'lead', id).length, 3)
})

test('the same through the Async methods', async (t) => {
  const file = join(tempDir(t), 'crm.db')
  let id
  {
    const crm = await Crm.openAsync(file, { now: '2026-01-05T09:00:00Z' })
    assert.ok(crm instanceof Crm)
    const created = await crm.createLeadAsync(ana, { company: 'Acme GmbH', contactName: 'Jo Doe', owner: 'ana' })
    id = created.id
    assert.equal(created.status, 'new')
    assert.equal((await crm.qualifyLeadAsync(ana, id)).status, 'qualified')
  }
  const again = await Crm.openAsync(file)
  const any = await again.getAsync(ana, 'lead', id)
  assert.equal(any.entity, 'lead')
  assert.equal(any.lead.status, 'qualified')
  assert.deepEqual(
    (await again.historyAsync(ana, 'lead', id)).map((event) => event.action),
    ['create', 'qualify'],
  )
  const { customer, opportunity } = await again.convertLeadAsync(ana, id)
  assert.equal((await again.getAsync(ana, 'customer', customer)).customer.name, 'Acme GmbH')
  const updated = await again.updateAsync(ana, 'opportunity', opportunity, 1, {
    expectedAmount: { amount: '9000', currency: 'EUR' },
  })
  assert.deepEqual(updated.opportunity.expectedAmount, { amount: '9000.00', currency: 'EUR' })
  // The synchronous methods see what the Async ones wrote, on the same engine.
  assert.equal(again.get(ana, 'opportunity', opportunity).opportunity.version, 2)
})

test('a file written by another process is read back', (t) => {
  const file = join(tempDir(t), 'crm.db')
  const writer = `
    const { Crm } = await import(${JSON.stringify(indexJs)})
    const ana = { user: 'ana', roles: ['sales'] }
    const crm = Crm.open(process.argv[1])
    const lead = crm.createLead(ana, { company: 'Elsewhere', owner: 'ana' })
    crm.qualifyLead(ana, lead.id)
    process.stdout.write(lead.id)
  `
  const id = execFileSync(process.execPath, ['--input-type=module', '-e', writer, file], {
    encoding: 'utf8',
  })
  const crm = Crm.open(file)
  assert.equal(crm.get(ana, 'lead', id).lead.company, 'Elsewhere')
  assert.deepEqual(
    crm.history(ana, 'lead', id).map((event) => event.action),
    ['create', 'qualify'],
  )
})

test('a rejected Promise carries the same Error, code and fields, as the synchronous throw', async () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 3 })
  const lead = await crm.createLeadAsync(ana, { company: 'Acme', owner: 'ana' })
  await crm.qualifyLeadAsync(ana, lead.id)

  const rejected = await crm.qualifyLeadAsync(ana, lead.id).then(
    () => assert.fail('expected a rejection'),
    (err) => err,
  )
  assert.ok(rejected instanceof Error)
  let thrown
  try {
    crm.qualifyLead(ana, lead.id)
  } catch (err) {
    thrown = err
  }
  for (const name of ['message', 'code', 'entity', 'id', 'from', 'action']) {
    assert.deepEqual(rejected[name], thrown[name], name)
  }
  assert.equal(rejected.code, 'invalid_transition')
  assert.equal(rejected.from, 'qualified')

  await assert.rejects(crm.discardLeadAsync(ana, lead.id, ' '), {
    code: 'validation',
    fields: ['reason'],
    value: null,
  })
  await assert.rejects(crm.getAsync(ana, 'lead', 'not-a-uuid'), {
    code: 'validation',
    fields: ['lead_id'],
    value: 'not-a-uuid',
  })
  await assert.rejects(crm.updateAsync(ana, 'lead', lead.id, 1, { title: 'Stale' }), {
    code: 'conflict',
    entity: 'lead',
    id: lead.id,
    expectedVersion: 1,
    found: 2,
  })
  const missing = '0194a000-0000-7000-8000-000000000000'
  await assert.rejects(crm.historyAsync(ana, 'ticket', missing), {
    code: 'not_found',
    entity: 'ticket',
    id: missing,
  })
  await assert.rejects(crm.getAsync({ user: 'sam', roles: ['support'] }, 'lead', lead.id), {
    code: 'forbidden',
    actor: 'sam',
    action: 'read',
    entity: 'lead',
  })
  await assert.rejects(crm.takeOutboxAsync(-1), { code: 'validation', fields: ['limit'] })
  await assert.rejects(new Crm().advanceClockAsync({ days: 1 }), {
    code: 'validation',
    fields: ['clock'],
  })
  await assert.rejects(Crm.openAsync(''), { code: 'validation', fields: ['location'] })
  await assert.rejects(Crm.openAsync('/nonexistent-dir/x/crm.db'), { code: 'storage' })
  // A value of the wrong JS type is refused by napi while it converts the
  // arguments, before there is a Promise: the call throws.
  assert.throws(() => crm.qualifyLeadAsync(ana, 42), Error)
  // The engine is still there and consistent.
  assert.equal((await crm.getAsync(ana, 'lead', lead.id)).lead.status, 'qualified')
})

test('many concurrent Async calls on one engine all complete, consistently', async (t) => {
  const crm = await Crm.openAsync(join(tempDir(t), 'crm.db'), { now: '2026-01-05T09:00:00Z' })
  const created = await Promise.all(
    Array.from({ length: 50 }, (_, n) => crm.createLeadAsync(ana, { company: `Company ${n}`, owner: 'ana' })),
  )
  assert.equal(created.length, 50)
  assert.equal(new Set(created.map((lead) => lead.id)).size, 50, 'every lead has its own id')
  created.forEach((lead, n) => assert.equal(lead.company, `Company ${n}`))

  // Commands on different leads at once, and sync calls while they run.
  const pending = created.map((lead) => crm.qualifyLeadAsync(ana, lead.id))
  const first = crm.get(ana, 'lead', created[0].id).lead
  assert.ok(['new', 'qualified'].includes(first.status))
  const qualified = await Promise.all(pending)
  assert.ok(qualified.every((lead) => lead.status === 'qualified' && lead.version === 2))

  // The same command on one lead, 10 times at once: exactly one wins.
  const target = created[0].id
  const outcomes = await Promise.allSettled(
    Array.from({ length: 10 }, () => crm.transitionAsync(ana, 'lead', target, 'discard', { reason: 'later' })),
  )
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1)
  for (const o of outcomes.filter((o) => o.status === 'rejected')) {
    assert.equal(o.reason.code, 'invalid_transition')
  }

  const histories = await Promise.all(created.map((lead) => crm.historyAsync(ana, 'lead', lead.id)))
  histories.forEach((events, n) => {
    const expected = n === 0 ? ['create', 'qualify', 'discard'] : ['create', 'qualify']
    assert.deepEqual(events.map((event) => event.action), expected)
  })
  // Every event has its own sequence number.
  const sequences = histories.flat().map((event) => event.seq)
  assert.equal(new Set(sequences).size, sequences.length)
})

test('getters that call back into the engine are safe with the Async methods too', async () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 9 })
  const lead = crm.createLead(ana, { company: 'Acme', owner: 'ana' })
  let nested
  const sneaky = {
    get user() {
      nested = crm.createLeadAsync(ana, { company: 'Nested', owner: 'ana' })
      crm.createLead(ana, { company: 'Nested too', owner: 'ana' })
      return 'ana'
    },
    roles: ['sales'],
  }
  assert.equal((await crm.qualifyLeadAsync(sneaky, lead.id)).status, 'qualified')
  assert.equal(crm.qualifyLead(sneaky, (await nested).id).status, 'qualified')
  assert.equal((await nested).company, 'Nested')
})

test('Crm.open: an empty location is a validation error, an unopenable path a storage error', (t) => {
  for (const location of ['', '   ']) {
    assert.throws(() => Crm.open(location), { code: 'validation', fields: ['location'] })
  }
  assert.throws(() => Crm.open('/nonexistent-dir/x/crm.db'), (err) => {
    assert.ok(err instanceof Error)
    assert.equal(err.code, 'storage')
    assert.match(err.message, /^storage failure/)
    return true
  })
  // A server that refuses the connection (nothing listens on port 1).
  assert.throws(() => Crm.open('postgres://nobody@127.0.0.1:1/crm'), { code: 'storage' })
  // Malformed options are refused before a file is created.
  const file = join(tempDir(t), 'never.db')
  assert.throws(() => Crm.open(file, { seed: -1 }), { code: 'validation', fields: ['seed'] })
  assert.throws(() => Crm.open(file, { now: 'yesterday' }), { code: 'validation', fields: ['now'] })
  assert.equal(existsSync(file), false)
  // `:memory:` is an in-memory SQLite database.
  const memory = Crm.open(':memory:', { now: '2026-01-05T09:00:00Z', seed: 1 })
  assert.equal(memory.createLead(ana, { company: 'Acme', owner: 'ana' }).status, 'new')
  assert.equal(memory.now(), '2026-01-05T09:00:00Z')
})

test('PostgreSQL: write, open the database again, read', async (t) => {
  const url = process.env.CRM_PG_URL
  if (!url) {
    t.skip('CRM_PG_URL is not set')
    return
  }
  // No seed: ids from entropy, so that reruns against the same database do
  // not collide.
  const crm = Crm.open(url)
  const lead = crm.createLead(ana, { company: 'Shared GmbH', owner: 'ana' })
  crm.qualifyLead(ana, lead.id)
  const other = await crm.createLeadAsync(ana, { company: 'Shared Async', owner: 'ana' })
  await crm.qualifyLeadAsync(ana, other.id)

  // A second engine, as another server would open it.
  const again = await Crm.openAsync(url)
  assert.equal(again.get(ana, 'lead', lead.id).lead.status, 'qualified')
  assert.deepEqual(
    again.history(ana, 'lead', lead.id).map((event) => event.action),
    ['create', 'qualify'],
  )
  assert.equal((await again.getAsync(ana, 'lead', other.id)).lead.company, 'Shared Async')
  assert.deepEqual(
    (await again.historyAsync(ana, 'lead', other.id)).map((event) => event.action),
    ['create', 'qualify'],
  )
  // What the second engine writes, the first reads.
  await again.discardLeadAsync(ana, other.id, 'duplicate')
  assert.equal((await crm.getAsync(ana, 'lead', other.id)).lead.status, 'discarded')
})
