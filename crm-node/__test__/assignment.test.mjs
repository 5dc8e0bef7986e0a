// Assignment through the Node API: the configuration (a JSON string or an
// object), users' absences, routing with its typed trace, the pool, due work,
// reclaiming, transferring and scoring, their `...Async` twins, and bad input
// as typed errors. The rules themselves are tested in Rust and by the shared
// vector tests/vectors/assignment.json; these tests prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Crm } from '../index.js'

const admin = { user: 'root', roles: ['admin'] }
const sue = { user: 'sue', roles: ['supervisor'], team: 'east' }
const ana = { user: 'ana', roles: ['sales'], team: 'east' }

const config = {
  claim_limit: 5,
  due_ahead_hours: 2,
  lead_scoring: {
    base: 10,
    rules: [{ name: 'referral', when: { field: 'source', eq: 'referral' }, points: 50 }],
  },
  assignment: {
    time_zone: 'UTC',
    rules: [{ name: 'east', when: { field: 'region', eq: 'east' }, team: 'east' }],
  },
}

/** An engine with the rules above, team east (sue away, ana, bo) and team west. */
function setUp(options = {}) {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 3, config, ...options })
  crm.saveTeam(admin, { id: 'east', name: 'East', supervisor: 'sue' })
  crm.saveTeam(admin, { id: 'west', name: 'West' })
  crm.saveUser(admin, {
    id: 'sue',
    name: 'Sue',
    team: 'east',
    roles: ['supervisor'],
    away: [{ from: new Date('2026-01-01T00:00:00Z'), until: '2026-02-01T00:00:00Z', reason: 'leads the team' }],
  })
  crm.saveUser(admin, { id: 'ana', name: 'Ana', team: 'east', roles: ['sales'] })
  crm.saveUser(admin, { id: 'bo', name: 'Bo', team: 'east', roles: ['sales'] })
  return crm
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

test('the configuration is a JSON string or an object, to the same effect', () => {
  for (const given of [config, JSON.stringify(config)]) {
    const crm = setUp({ config: given })
    const lead = crm.createLead(admin, { company: 'Acme', region: 'east', source: 'referral' })
    assert.equal(lead.owner, 'ana', 'routed by the rule east, past sue who is away')
    assert.equal(lead.qualityScore, 60, 'scored by the rules')
  }
  // Without one, the defaults: no rules, so a lead without an owner waits in the pool.
  const plain = new Crm({ now: '2026-01-05T09:00:00Z', seed: 3, config: null })
  assert.equal(plain.createLead(admin, { company: 'Acme', region: 'east' }).owner, null)
})

test('a bad configuration is a config error naming the path, never a crash', async (t) => {
  const cases = [
    [{ claim_limt: 2 }, 'config', /unknown key `claim_limt`/],
    ['{"claim_limit": "two"}', 'claim_limit', /whole number/],
    [{ assignment: { rules: [{ name: 'x', when: { field: 'region', eq: 'east' } }] } }, 'assignment.rules[0]', /users or a team/],
    [{ reclaim: { to: 'moon' } }, 'reclaim', /moon/],
    [{ first_contact_within_hours: -1 }, 'first_contact_within_hours', /positive/],
    ['not json', 'config', /./],
    ['[1, 2]', 'config', /JSON object/],
    [42, 'config', /string or an object/],
    [true, 'config', /string or an object/],
    [{ big: 10n }, 'config', /JSON\.stringify/],
  ]
  const cyclic = {}
  cyclic.self = cyclic
  cases.push([cyclic, 'config', /JSON\.stringify/])
  cases.push([{ get boom() { throw new Error('no') } }, 'config', /JSON\.stringify/])
  for (const [bad, path, reason] of cases) {
    const err = fails(() => new Crm({ config: bad }), 'config', { path })
    assert.match(err.reason, reason)
    assert.match(err.message, new RegExp(`^invalid configuration at ${path.replace(/[[\].]/g, '\\$&')}`))
  }

  // Crm.open reads the configuration before the store: no file is created.
  const dir = mkdtempSync(join(tmpdir(), 'crm-node-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'crm.db')
  fails(() => Crm.open(file, { config: { claim_limt: 2 } }), 'config', { path: 'config' })
  await assert.rejects(Crm.openAsync(file, { config: '{"claim_limit": -1}' }), {
    code: 'config',
    path: 'claim_limit',
  })
  assert.ok(!existsSync(file), 'a bad configuration creates no file')
  const opened = await Crm.openAsync(file, { config, now: '2026-01-05T09:00:00Z' })
  opened.saveTeam(admin, { id: 'east', name: 'East' })
  opened.saveUser(admin, { id: 'ana', name: 'Ana', team: 'east', roles: ['sales'] })
  assert.equal(opened.createLead(admin, { company: 'A', region: 'east' }).owner, 'ana')
})

test('a user is away as saved: times in as strings or Dates, out as RFC 3339 strings', () => {
  const crm = setUp()
  const sue = crm.get(admin, 'user', 'sue').user
  assert.deepEqual(sue.away, [
    { from: '2026-01-01T00:00:00Z', until: '2026-02-01T00:00:00Z', reason: 'leads the team' },
  ])
  const back = crm.saveUser(admin, {
    id: 'sue',
    name: 'Sue',
    team: 'east',
    away: [{ from: '2026-03-01T10:00:00+01:00', until: '2026-03-02T00:00:00Z' }],
  })
  assert.deepEqual(back.away, [{ from: '2026-03-01T09:00:00Z', until: '2026-03-02T00:00:00Z', reason: null }])
  assert.deepEqual(crm.saveUser(admin, { id: 'sue', name: 'Sue' }).away, [], 'away replaces the list')

  fails(() => crm.saveUser(admin, { id: 'x', name: 'X', away: [{ from: 'soon', until: '2026-03-02T00:00:00Z' }] }), 'validation', {
    fields: ['away[0].from'],
  })
  const ok = { from: '2026-03-01T00:00:00Z', until: '2026-03-02T00:00:00Z' }
  fails(() => crm.saveUser(admin, { id: 'x', name: 'X', away: [ok, { from: ok.from, until: {} }] }), 'validation', {
    fields: ['away[1].until'],
  })
  fails(() => crm.saveUser(admin, { id: 'x', name: 'X', away: [{ from: ok.until, until: ok.from }] }), 'validation', {
    fields: ['away[0].until'],
  })
  assert.throws(() => crm.saveUser(admin, { id: 'x', name: 'X', away: 'never' }), Error)
})

test('a routing and its trace are typed objects with camelCase keys', () => {
  const crm = setUp()
  const lead = crm.createLead(admin, { company: 'Acme', region: 'east' })
  assert.equal(crm.createLead(admin, { company: 'Beta', region: 'east' }).owner, 'bo')
  crm.release(admin, 'lead', lead.id, 'route it again')
  // Round robin in the team's order (sue, ana, bo): after bo comes sue, who is away.
  const routing = crm.routeLead(sue, lead.id)
  assert.deepEqual(Object.keys(routing), ['subject', 'owner', 'team', 'rule', 'poolReason', 'trace'])
  assert.deepEqual(routing.subject, { kind: 'lead', id: lead.id })
  assert.equal(routing.owner, 'ana')
  assert.equal(routing.team, 'east')
  assert.equal(routing.rule, 'east')
  assert.equal(routing.poolReason, null)
  assert.equal(routing.trace.length, 1)
  const [step] = routing.trace
  assert.deepEqual(Object.keys(step), ['rule', 'result', 'detail', 'skipped'])
  assert.equal(step.rule, 'east')
  assert.equal(step.result, 'chosen')
  assert.equal(step.detail, 'region "east" is = "east"')
  assert.deepEqual(step.skipped, [{ user: 'sue', reason: 'on_leave' }])

  // To the pool, with the reason; the same routing is in the record's event.
  const north = crm.createLead(admin, { company: 'North', region: 'north', team: 'east' })
  const [pooled] = crm.route(sue, 'lead', [north.id])
  assert.equal(pooled.owner, null)
  assert.equal(pooled.poolReason, 'no rule matches')
  assert.deepEqual(
    pooled.trace.map((s) => [s.rule, s.result]),
    [['east', 'not_matched']],
  )
  const event = crm.history(admin, 'lead', north.id).at(-1)
  assert.equal(event.action, 'route')
  assert.equal(event.payload.routing.pool_reason, 'no rule matches')
})

test('the pool, claim and release return records as list and get do', () => {
  const crm = setUp()
  const lead = crm.createLead(admin, { company: 'Acme', region: 'north', team: 'east' })
  const pool = crm.pool(ana, 'lead')
  assert.deepEqual(
    pool.map((any) => [any.entity, any.lead.id]),
    [['lead', lead.id]],
  )
  assert.deepEqual(crm.pool(ana, 'lead', 'west'), [])
  const claimed = crm.claim(ana, 'lead', lead.id)
  assert.equal(claimed.entity, 'lead')
  assert.equal(claimed.lead.owner, 'ana')
  assert.equal(claimed.lead.firstContactDueAt, '2026-01-06T09:00:00Z')
  const released = crm.release(ana, 'lead', lead.id, 'wrong region')
  assert.equal(released.lead.owner, null)
  assert.equal(released.lead.firstContactDueAt, null)
  assert.equal(crm.history(admin, 'lead', lead.id).at(-1).reason, 'wrong region')
})

test('due work at an explicit time, as a string or a Date, or by the clock', () => {
  const crm = setUp()
  const lead = crm.createLead(admin, { company: 'Acme', region: 'east' })
  crm.createTask(ana, { title: 'Send the offer', assignee: 'ana', dueAt: '2026-01-05T10:00:00Z' })
  // Now: the task is due within the look-ahead (2 hours), not yet overdue.
  const now = crm.dueWork(sue)
  assert.deepEqual(now.map((w) => [w.user, w.overdue, w.items.map((i) => [i.kind, i.title, i.dueAt, i.overdue])]), [
    ['ana', 0, [['task', 'Send the offer', '2026-01-05T10:00:00Z', false]]],
  ])
  assert.deepEqual(Object.keys(now[0].items[0]), ['subject', 'kind', 'title', 'dueAt', 'overdue', 'care'])
  assert.equal(now[0].items[0].care, null, 'only care items say which care rule')
  // A day later the first contact (due 24 hours after assignment) is due, and the task overdue.
  for (const at of ['2026-01-06T08:00:00Z', new Date('2026-01-06T08:00:00Z')]) {
    const [work] = crm.dueWork(sue, at)
    assert.equal(work.user, 'ana')
    assert.equal(work.overdue, 1)
    assert.deepEqual(
      work.items.map((i) => [i.kind, i.overdue]),
      [
        ['task', true],
        ['first_contact', false],
      ],
    )
    assert.deepEqual(work.items[1].subject, { kind: 'lead', id: lead.id })
  }
  assert.deepEqual(crm.dueWork(sue, '2026-01-01T00:00:00Z'), [])
  fails(() => crm.dueWork(sue, 'tomorrow'), 'validation', { fields: ['now'] })
  fails(() => crm.dueWork(sue, 5), 'validation', { fields: ['now'] })
  fails(() => crm.reclaimOverdue(sue, new Date('nope')), 'validation', { fields: ['now'] })
})

test('reclaim, transfer and score', () => {
  const crm = setUp()
  const lead = crm.createLead(admin, { company: 'Acme', region: 'east', source: 'referral' })
  assert.equal(lead.owner, 'ana')
  assert.deepEqual(crm.reclaimOverdue(sue), [], 'nothing is overdue yet')
  const [reclaimed] = crm.reclaimOverdue(sue, '2026-01-07T00:00:00Z')
  assert.deepEqual(reclaimed.subject, { kind: 'lead', id: lead.id })
  assert.equal(reclaimed.owner, null, 'the default reclaim policy: to the pool')
  assert.equal(reclaimed.poolReason, 'first contact was due at 2026-01-06T09:00:00Z')

  crm.claim(ana, 'lead', lead.id)
  const moved = crm.transferWork(sue, 'ana', { reason: 'covering', to: 'bo' })
  assert.deepEqual(
    moved.map((r) => [r.subject.id, r.owner, r.rule]),
    [[lead.id, 'bo', null]],
  )
  const [byRules] = crm.transferWork(sue, 'bo', { reason: 'leaving' })
  assert.equal(byRules.owner, 'ana', 'by the rules, never back to bo')
  assert.equal(byRules.rule, 'east')

  const score = crm.scoreLead(admin, lead.id)
  assert.deepEqual(score, {
    score: 60,
    base: 10,
    parts: [{ rule: 'referral', points: 50, detail: score.parts[0].detail }],
  })
  assert.equal(typeof score.parts[0].detail, 'string')
})

test('bad input to the assignment commands is a validation error naming the field', () => {
  const crm = setUp()
  const lead = crm.createLead(admin, { company: 'Acme', region: 'east' })
  // Blank reasons.
  fails(() => crm.release(ana, 'lead', lead.id, '  '), 'validation', { fields: ['reason'] })
  fails(() => crm.transferWork(sue, 'ana', { reason: '' }), 'validation', { fields: ['reason'] })
  // Unknown kinds, and kinds nobody owns.
  fails(() => crm.pool(ana, 'spaceship'), 'validation', { fields: ['entity'] })
  fails(() => crm.routePool(sue, 'spaceship'), 'validation', { fields: ['entity'] })
  fails(() => crm.route(sue, 'spaceship', [lead.id]), 'validation', { fields: ['entity'] })
  fails(() => crm.claim(ana, 'spaceship', lead.id), 'validation', { fields: ['entity'] })
  fails(() => crm.pool(admin, 'activity'), 'validation', { fields: ['kind'] })
  fails(() => crm.route(admin, 'user', ['ana']), 'validation', { fields: ['kind'] })
  // Bad ids.
  fails(() => crm.routeLead(sue, 'nope'), 'validation', { fields: ['lead_id'], value: 'nope' })
  fails(() => crm.route(sue, 'lead', [lead.id, '']), 'validation', { fields: ['lead_id'] })
  fails(() => crm.route(sue, 'lead', [lead.id, lead.id]), 'validation', { fields: ['ids'] })
  fails(() => crm.claim(ana, 'ticket', lead.id), 'not_found', { entity: 'ticket' })
  fails(() => crm.release(ana, 'lead', 'x', 'why'), 'validation', { fields: ['lead_id'] })
  fails(() => crm.scoreLead(admin, ''), 'validation', { fields: ['lead_id'] })
  fails(() => crm.pool(ana, 'lead', ' east'), 'validation', { fields: ['team_id'] })
  fails(() => crm.transferWork(sue, '', { reason: 'r' }), 'validation', { fields: ['from'] })
  fails(() => crm.transferWork(sue, 'ana', { reason: 'r', to: '' }), 'validation', { fields: ['to'] })
  fails(() => crm.transferWork(sue, 'ana', { reason: 'r', to: 'ana' }), 'validation', { fields: ['to'] })
  // Refusals of the rules.
  fails(() => crm.claim(ana, 'lead', lead.id), 'validation', { fields: ['owner'] })
  crm.release(ana, 'lead', lead.id, 'back to the pool')
  fails(() => crm.routePool(ana, 'lead', 'east'), 'forbidden', { action: 'assign' })
  // Values of the wrong JS type: an Error, and the engine lives on.
  for (const action of [
    () => crm.route(sue, 'lead', lead.id),
    () => crm.route(sue, 'lead', [42]),
    () => crm.transferWork(sue, 'ana'),
    () => crm.transferWork(sue, 'ana', { to: 'bo' }),
    () => crm.release(ana, 'lead', lead.id),
    () => crm.pool(ana, 7),
  ]) {
    assert.throws(action, Error)
  }
  assert.equal(crm.get(admin, 'lead', lead.id).lead.owner, null)
})

test('every assignment command has an Async twin with the same results and errors', async () => {
  const crm = setUp()
  const lead = crm.createLead(admin, { company: 'Acme', region: 'north', team: 'east' })
  assert.deepEqual(
    (await crm.poolAsync(ana, 'lead', 'east')).map((any) => any.lead.id),
    [lead.id],
  )
  assert.equal((await crm.claimAsync(ana, 'lead', lead.id)).lead.owner, 'ana')
  assert.equal((await crm.releaseAsync(ana, 'lead', lead.id, 'no')).lead.owner, null)
  const [routed] = await crm.routePoolAsync(sue, 'lead', 'east')
  assert.equal(routed.poolReason, 'no rule matches')
  assert.equal((await crm.routeAsync(sue, 'lead', [lead.id]))[0].trace[0].result, 'not_matched')
  assert.equal((await crm.routeLeadAsync(sue, lead.id)).owner, null)
  crm.claim(ana, 'lead', lead.id)
  assert.equal((await crm.dueWorkAsync(sue, new Date('2026-01-06T08:00:00Z')))[0].items[0].kind, 'first_contact')
  assert.equal((await crm.reclaimOverdueAsync(sue, '2026-01-07T00:00:00Z')).length, 1)
  crm.claim(ana, 'lead', lead.id)
  assert.equal((await crm.transferWorkAsync(sue, 'ana', { reason: 'r', to: 'bo' }))[0].owner, 'bo')
  assert.equal((await crm.scoreLeadAsync(admin, lead.id)).score, 10)

  await assert.rejects(crm.releaseAsync(ana, 'lead', lead.id, ' '), { code: 'validation', fields: ['reason'] })
  await assert.rejects(crm.routeLeadAsync(sue, 'nope'), { code: 'validation', fields: ['lead_id'] })
  await assert.rejects(crm.poolAsync(admin, 'activity'), { code: 'validation', fields: ['kind'] })
  await assert.rejects(crm.dueWorkAsync(sue, 'later'), { code: 'validation', fields: ['now'] })
  await assert.rejects(crm.transferWorkAsync(sue, 'bo', { reason: 'r', to: 'bo' }), {
    code: 'validation',
    fields: ['to'],
  })
})
