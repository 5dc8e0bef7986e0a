// Runs every shared test vector (tests/vectors/*.json) through the Node API.
// The Rust, Python and FFI suites run the same files through theirs; see
// tests/vectors/README.md for the format and tests/vectors.rs for the Rust runner.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'

import * as crmModule from '../index.js'

const { Crm, Calendar } = crmModule

const vectorsDir = new URL('../../tests/vectors/', import.meta.url)

const camelCase = (name) => name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())
const snakeCase = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** An object's keys in camelCase (one level: the values are passed as they are). */
const camelKeys = (args) =>
  Object.fromEntries(Object.entries(args).map(([key, value]) => [camelCase(key), value]))

// How each command's vector arguments become the method's arguments (after the
// actor). The method is always the camelCase of the command: `qualify_lead`
// calls `crm.qualifyLead(actor, ...)`.
const idOnly = (a) => [a.id]
const idAnd = (name) => (a) => [a.id, a[name]]
const inputObject = (a) => [camelKeys(a)]
const keyOf = (a) => [a.kind, a.id]
const grantee = (a) => ({ user: a.user, team: a.team })

const commands = {
  save_team: inputObject,
  save_user: inputObject,
  create_customer: inputObject,
  add_contact: inputObject,
  create_lead: inputObject,
  assign_lead: idAnd('owner'),
  log_activity: ({ subject_kind, subject_id, ...rest }) => [
    { subject: { kind: subject_kind, id: subject_id }, ...camelKeys(rest) },
  ],
  qualify_lead: idOnly,
  discard_lead: idAnd('reason'),
  convert_lead: ({ id, ...options }) => [id, camelKeys(options)],
  create_opportunity: inputObject,
  advance_opportunity: idAnd('to'),
  win_opportunity: idOnly,
  lose_opportunity: idAnd('reason'),
  sign_contract: idOnly,
  activate_contract: idOnly,
  complete_contract: idOnly,
  terminate_contract: idAnd('reason'),
  open_ticket: inputObject,
  assign_ticket: idAnd('assignee'),
  start_ticket: idOnly,
  await_customer: idOnly,
  customer_replied: idOnly,
  close_ticket: idOnly,
  resolve_ticket: idAnd('resolution'),
  reopen_ticket: idAnd('reason'),
  transfer_ticket: (a) => [a.id, a.group, a.reason],
  create_task: inputObject,
  start_task: idOnly,
  submit_task: idOnly,
  approve_task: idOnly,
  reject_task: idAnd('reason'),
  cancel_task: idAnd('reason'),
  add_task_note: idAnd('note'),
  transition: (a) => [
    ...keyOf(a),
    a.action,
    { to: a.to, reason: a.reason, expectedVersion: a.expected_version },
  ],
  update: (a) => [...keyOf(a), a.expected_version, a.fields],
  share: (a) => [...keyOf(a), grantee(a), a.access],
  unshare: (a) => [...keyOf(a), grantee(a)],
  get: keyOf,
  history: keyOf,
  list: ({ kind, ...options }) => [kind, options],
  route: (a) => [a.kind, a.ids],
  route_lead: idOnly,
  route_pool: (a) => [a.kind, a.team],
  pool: (a) => [a.kind, a.team],
  claim: keyOf,
  release: (a) => [...keyOf(a), a.reason],
  due_work: (a) => [a.now],
  reclaim_overdue: (a) => [a.now],
  transfer_work: ({ from, ...options }) => [from, camelKeys(options)],
  score_lead: idOnly,
  refresh_customer_value: (a) => [a.as_of],
  // Duplicates in the store: the candidate with camelCase keys, as `dedupe`
  // takes records; record keys as `{ kind, id }`.
  find_duplicates: (a) => [camelKeys(a.record)],
  merge: inputObject,
  unmerge: ({ survivor, ...options }) => [survivor, options],
  // Commands without an actor.
  take_outbox: (a) => [a.limit],
  ack_outbox: (a) => [a.ids],
  advance_clock: (a) => [camelKeys(a)],
  // Pure functions of the module (no engine, no actor): the config as a plain
  // object, which the binding passes through JSON.stringify.
  score_rfm: (a) => [a.purchases, a.as_of, a.config],
  // Records with camelCase keys (`firstName`), as the binding takes them.
  dedupe: (a) => [a.records.map(camelKeys), { config: a.config }],
  explain_match: (a) => [camelKeys(a.a), camelKeys(a.b), a.config],
  // Payment terms and quotes: the total as money, the terms template and the
  // price list as plain objects (the core's JSON, through JSON.stringify),
  // quote lines with camelCase keys (`unitPrice`), dates as `YYYY-MM-DD`.
  split_payments: (a) => [a.total, a.terms, a.base],
  price_quote: (a) => [a.lines.map(camelKeys), a.currency, a.price_list],
  // Quotes and payment plans in the engine, the same way: the record's id
  // first, then the command's own arguments (`reschedule_payments` takes its
  // optional base last), its input as an object with camelCase keys.
  add_quote: ({ opportunity, lines, ...quote }) => [opportunity, { lines: lines.map(camelKeys), ...camelKeys(quote) }],
  accept_quote: (a) => [a.opportunity, a.version],
  set_payment_plan: (a) => [a.contract, a.terms, a.base],
  record_payment: ({ contract, ...payment }) => [contract, payment],
  reverse_payment: (a) => [a.contract, a.id, a.reason],
  write_off_installment: (a) => [a.contract, a.installment, a.reason],
  reach_milestone: (a) => [a.contract, a.event, a.on],
  reschedule_payments: (a) => [a.contract, a.terms, a.reason, a.base],
  receivables: (a) => [{ customer: a.customer, today: a.today }],
  collected: (a) => [a.from, a.until],
  // Working calendars: a `Calendar` built from the calendar (a plain object),
  // then its method (see `calendarMethods`) with the other arguments.
  calendar_add: (a) => [a.calendar, a.start, a.minutes],
  calendar_between: (a) => [a.calendar, a.from, a.to],
  // The service desk: `now` optional and last, as `dueWork` takes it; the
  // survey's answer as an object.
  escalate: (a) => [a.now],
  ticket_sla: (a) => [a.id, a.now],
  answer_survey: ({ id, ...answer }) => [id, answer],
  // Loyalty: the purchase and the campaign as objects with camelCase keys
  // (money as `{ amount, currency }`, decimals as strings, the segment a plain
  // object), the other commands' arguments in the vectors' order; `now` and
  // `as_of` optional and last.
  record_purchase: inputObject,
  refund_purchase: (a) => [a.customer, a.reference, a.amount],
  redeem_points: (a) => [a.customer, a.points, a.reward, a.reference],
  adjust_points: (a) => [a.customer, a.points, a.reason],
  award_bonus: (a) => [a.customer, a.event, a.reference],
  points_entries: (a) => [a.customer],
  review_loyalty: (a) => [a.now],
  act_on_care: (a) => [a.customer, a.rule, a.kind, a.summary],
  launch_campaign: inputObject,
  record_campaign_contacts: (a) => [a.campaign, a.customers, a.at],
  campaign_results: (a) => [a.campaign, a.as_of],
  // Pure functions of the module: the program as a plain object.
  loyalty_points: (a) => [a.program, a.lines, a.level, a.campaign],
  draw_holdout: (a) => [a.n, a.percent, a.seed],
  // Analytics: the query as an object with camelCase keys (its costs,
  // targets and CLV options too; money as `{ amount, currency }`, times as
  // RFC 3339 strings); `customerLifetimeValue` takes its options and `asOf` in
  // one object; `fitClv` is a pure function of the module.
  metric: (a) => [
    {
      ...camelKeys(a),
      costs: a.costs?.map(camelKeys),
      targets: a.targets?.map(camelKeys),
      clv: a.clv && camelKeys(a.clv),
    },
  ],
  customer_lifetime_value: (a) => [{ asOf: a.as_of, ...camelKeys(a.options ?? {}), scope: a.scope }],
  fit_clv: (a) => [a.purchases, a.as_of, a.options && camelKeys(a.options)],
  // Imports: the spec with camelCase keys (`batchSize`), the file's text as
  // the bytes of a Buffer (a string would be a path).
  import_rows: (a) => [camelKeys(a.spec), Buffer.from(a.data, 'utf8')],
}
const withoutActor = new Set(['take_outbox', 'ack_outbox', 'advance_clock'])
const moduleFunctions = new Set([
  'score_rfm', 'dedupe', 'explain_match', 'split_payments', 'price_quote', 'loyalty_points', 'draw_holdout',
  'fit_clv',
])
// Pure functions of a `Calendar` (no engine, no actor): the method each calls
// on `new Calendar(calendar)`, built inside the call so that a bad calendar is
// the step's error.
const calendarMethods = { calendar_add: 'add', calendar_between: 'betweenMinutes' }
// Commands whose result is an object with methods: what the vectors compare,
// as tests/vectors.rs builds it from the same calls (run inside the call, so
// that an error they throw is the step's error).
const results = {
  dedupe: (scan, a) => ({
    pairs: scan.pairs().map(({ left, right, probability, rule }) => ({ left, right, probability, rule })),
    clusterIds: scan.clusterIds(),
    clusters: scan.clusters(),
    candidatePairs: scan.candidatePairs,
    explanation: a.explain ? scan.explain(...a.explain) : null,
  }),
  // A table's rows are objects keyed by column name; the vectors hold them as
  // arrays in column order.
  metric: (table) => ({
    metric: table.metric,
    columns: table.columns,
    rows: table.rows.map((row) => {
      assert.deepEqual(Object.keys(row), table.columns.map((column) => column.name), 'a row has one key per column, in order')
      return table.columns.map((column) => row[column.name])
    }),
  }),
}
// Commands that return a record tagged with its kind (`AnyRecord`), and those
// that return a list of them.
const generic = new Set(['get', 'transition', 'update', 'share', 'unshare', 'claim', 'release', 'unmerge'])
const genericList = new Set(['list', 'pool'])
// Commands whose result holds a record tagged with its kind at a property.
const genericAt = { merge: 'survivor' }
// Properties whose values are JSON from the core, already canonical (a
// payment plan's milestones are keyed by event names, a customer's handled
// care rules by rule names; a campaign's segment is a condition).
const jsonValued = new Set(['custom', 'payload', 'old', 'new', 'due', 'milestones', 'careDone', 'segment'])
// Keys whose snake_case is not the mechanical one (digits in the name).
const keyNames = { days1To30: 'days_1_30', days31To60: 'days_31_60', days61To90: 'days_61_90', days90Plus: 'days_90_plus' }

/** A result in the canonical form of the vectors: snake_case keys, records flat. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        keyNames[key] ?? snakeCase(key),
        jsonValued.has(key) ? inner : canonical(inner),
      ]),
    )
  }
  return value === undefined ? null : value
}

/** An `AnyRecord` unwrapped: the record it names, with its `entity`. */
function unwrapped(command, result) {
  assert.equal(typeof result.entity, 'string', `${command} returns an AnyRecord`)
  const set = Object.keys(result).filter((key) => key !== 'entity' && result[key] != null)
  assert.deepEqual(set, [result.entity], 'an AnyRecord holds exactly the record it names')
  return { entity: result.entity, ...canonical(result[result.entity]) }
}

function canonicalResult(command, result) {
  if (generic.has(command)) return unwrapped(command, result)
  if (genericList.has(command)) {
    assert.ok(Array.isArray(result), `${command} returns an array`)
    return result.map((record) => unwrapped(command, record))
  }
  if (genericAt[command]) {
    const property = genericAt[command]
    return { ...canonical(result), [property]: unwrapped(command, result[property]) }
  }
  const value = canonical(result)
  return value !== null && typeof value === 'object' ? value : { value }
}

function lookup(value, path) {
  let current = value
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return null
    current = Array.isArray(current) ? current[Number(segment)] : current[segment]
    if (current === undefined) return null
  }
  return current
}

function resolve(value, saved) {
  if (typeof value === 'string' && value.startsWith('$')) {
    const name = value.slice(1)
    assert.ok(name in saved, `nothing saved as ${value}`)
    return saved[name]
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, saved))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, saved)]))
  }
  return value
}

function runVector(file) {
  const vector = JSON.parse(readFileSync(new URL(file, vectorsDir), 'utf8'))
  // The configuration, when the vector has one, as a plain object (the binding
  // passes it through JSON.stringify to the core's Config::from_json).
  const crm = new Crm({ now: vector.start, seed: vector.seed, config: vector.config })
  const saved = {}
  vector.steps.forEach((step, at) => {
    const context = `${file} step ${at} (${step.do})`
    const adapt = commands[step.do]
    assert.ok(adapt, `${context}: unknown command`)
    const calendarMethod = calendarMethods[step.do]
    const method = calendarMethod ?? camelCase(step.do)
    const pure = moduleFunctions.has(step.do)
    const owner = calendarMethod ? Calendar.prototype : pure ? crmModule : crm
    assert.equal(typeof owner[method], 'function', `${context}: no ${pure ? 'function' : 'method'} ${method}`)
    const given = resolve(step.args ?? {}, saved)
    const args = adapt(given)
    const actor = step.as === undefined ? undefined : vector.actors[step.as]
    const invoke = () => {
      if (calendarMethod) {
        const [calendar, ...rest] = args
        return new Calendar(calendar)[method](...rest)
      }
      return pure || withoutActor.has(step.do) ? owner[method](...args) : owner[method](actor, ...args)
    }
    const call = results[step.do] ? () => results[step.do](invoke(), given) : invoke

    if (step.error) {
      let thrown
      try {
        const result = call()
        assert.fail(`${context}: expected error ${JSON.stringify(step.error)}, got ${JSON.stringify(result)}`)
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err
        thrown = err
      }
      assert.ok(thrown instanceof Error, `${context}: throws an Error`)
      for (const [field, expected] of Object.entries(resolve(step.error, saved))) {
        const actual = field === 'kind' ? thrown.code : thrown[camelCase(field)]
        assert.deepEqual(actual, expected, `${context}: error ${field} of ${thrown.message}`)
      }
      return
    }

    let result
    try {
      result = canonicalResult(step.do, call() ?? null)
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err
      assert.fail(`${context}: unexpected error [${err.code}] ${err.message}`)
    }
    for (const [path, expected] of Object.entries(step.expect ?? {})) {
      const actual = path === 'len' ? (Array.isArray(result) ? result.length : null) : lookup(result, path)
      assert.deepEqual(actual, resolve(expected, saved), `${context}: ${path}`)
    }
    for (const [name, path] of Object.entries(step.save ?? {})) {
      const value = lookup(result, path)
      assert.notEqual(value, null, `${context}: nothing at ${path}`)
      saved[name] = value
    }
  })
}

const files = readdirSync(vectorsDir)
  .filter((name) => name.endsWith('.json'))
  .sort()

test('the vectors are there', () => {
  assert.ok(files.length >= 4, `vectors missing in ${vectorsDir.pathname}`)
})

test('every command of the vectors README has a method or a function', () => {
  const readme = readFileSync(new URL('README.md', vectorsDir), 'utf8')
  const section = readme.slice(readme.indexOf('## Commands'))
  const documented = new Set()
  for (const line of section.split('\n')) {
    const firstCell = line.match(/^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|/)
    if (firstCell) for (const [, name] of firstCell[1].matchAll(/`([a-z_]+)`/g)) documented.add(name)
  }
  assert.ok(documented.size > 30, 'the command table was read')
  assert.deepEqual([...documented].sort(), Object.keys(commands).sort())
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 1 })
  for (const name of documented) {
    if (calendarMethods[name]) {
      assert.equal(typeof Calendar.prototype[calendarMethods[name]], 'function', `Calendar.${calendarMethods[name]}`)
    } else if (moduleFunctions.has(name)) {
      assert.equal(typeof crmModule[camelCase(name)], 'function', camelCase(name))
    } else {
      assert.equal(typeof crm[camelCase(name)], 'function', `Crm.${camelCase(name)}`)
    }
  }
})

for (const file of files) {
  const { name } = JSON.parse(readFileSync(new URL(file, vectorsDir), 'utf8'))
  test(`${file}: ${name}`, () => runVector(file))
}
