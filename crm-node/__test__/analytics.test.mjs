// Analytics and bulk import through the Node API: metrics as tables (metric),
// lifetime value (customerLifetimeValue, and the pure fitClv), imports from a
// path or a Buffer (importRows with its progress callback, importRowsAsync),
// and leads' campaign. Money and decimals are strings, times RFC 3339; bad
// input is an error naming the field. The metrics and models themselves are
// tested in Rust and by the shared vector tests/vectors/analytics.json; these
// tests prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { Crm, fitClv, fitClvAsync } from '../index.js'

const eur = (amount) => ({ amount, currency: 'EUR' })
const ana = { user: 'ana', roles: ['sales'] }
const root = { user: 'root', roles: ['admin'] }

/** An error with this code and, for validation errors, naming `field`. */
const failure = (code, field) => (err) => {
  assert.ok(err instanceof Error, 'an Error')
  assert.equal(err.code, code, err.message)
  if (field !== undefined) assert.deepEqual(err.fields, [field], err.message)
  return true
}
const invalid = (field) => failure('validation', field)

/** Leads from two channels, one converted into a deal, and a second deal in proposal. */
function setup() {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 41 })
  const web = { source: 'web', channel: 'online', campaign: 'spring', owner: 'ana' }
  const l1 = crm.createLead(ana, { ...web, company: 'Alpha', contactName: 'Al' })
  crm.createLead(ana, { ...web, company: 'Beta', contactName: 'Bea' })
  crm.createLead(ana, { source: 'fair', channel: 'offline', company: 'Gamma', contactName: 'Gus', owner: 'ana' })
  crm.qualifyLead(ana, l1.id)
  const { customer } = crm.convertLead(ana, l1.id, { expectedAmount: eur('1000.00') })
  const deal = crm.createOpportunity(ana, {
    customer,
    name: 'Extra',
    expectedAmount: eur('2000.00'),
    expectedCloseDate: '2026-03-10',
  })
  crm.advanceOpportunity(ana, deal.id)
  crm.advanceOpportunity(ana, deal.id)
  return { crm, customer }
}

const january = { from: '2026-01-01T00:00:00Z', until: '2026-02-01T00:00:00Z' }

test('createLead takes a campaign and the lead carries it', () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 1 })
  const lead = crm.createLead(ana, { company: 'Acme', campaign: 'spring', owner: 'ana' })
  assert.equal(lead.campaign, 'spring')
  assert.equal(crm.createLead(ana, { company: 'Bolt', owner: 'ana' }).campaign, null)
})

test('metric returns a table: typed columns, rows as objects keyed by column in column order', () => {
  const { crm } = setup()
  const table = crm.metric(ana, { metric: 'lead_conversion', ...january })
  assert.equal(table.metric, 'lead_conversion')
  assert.deepEqual(table.columns, [
    { name: 'source', kind: 'text' },
    { name: 'channel', kind: 'text' },
    { name: 'campaign', kind: 'text' },
    { name: 'leads', kind: 'integer' },
    { name: 'converted', kind: 'integer' },
    { name: 'discarded', kind: 'integer' },
    { name: 'conversion_rate', kind: 'float' },
  ])
  assert.deepEqual(table.rows, [
    { source: 'fair', channel: 'offline', campaign: null, leads: 1, converted: 0, discarded: 0, conversion_rate: 0 },
    { source: 'web', channel: 'online', campaign: 'spring', leads: 2, converted: 1, discarded: 0, conversion_rate: 0.5 },
  ])
  for (const row of table.rows) {
    assert.deepEqual(Object.keys(row), table.columns.map((column) => column.name))
  }
})

test('decimal columns are exact strings, never JS numbers; Dates are taken for times', () => {
  const { crm } = setup()
  const forecast = crm.metric(ana, { metric: 'forecast' })
  const kinds = Object.fromEntries(forecast.columns.map((column) => [column.name, column.kind]))
  assert.equal(kinds.amount, 'decimal')
  assert.equal(kinds.month, 'date')
  // The converted deal has no close date (month null), the other closes in March.
  assert.deepEqual(forecast.rows, [
    { month: null, category: 'pipeline', currency: 'EUR', deals: 1, amount: '1000.00', weighted: '100.00' },
    { month: '2026-03', category: 'best_case', currency: 'EUR', deals: 1, amount: '2000.00', weighted: '1200.00' },
  ])

  const withDates = crm.metric(ana, {
    metric: 'lead_conversion',
    from: new Date('2026-01-01T00:00:00Z'),
    until: new Date('2026-02-01T00:00:00Z'),
  })
  assert.deepEqual(withDates, crm.metric(ana, { metric: 'lead_conversion', ...january }))
  // A period before the leads counts none of them.
  const before = crm.metric(ana, { metric: 'lead_conversion', from: '2025-01-01T00:00:00Z', until: '2025-02-01T00:00:00Z' })
  assert.deepEqual(before.rows, [])
})

test('metric reads scope, costs (money as strings) and targets', () => {
  const { crm } = setup()
  const roi = crm.metric(ana, {
    metric: 'channel_roi',
    ...january,
    costs: [{ channel: 'online', campaign: 'spring', amount: eur('250.00') }],
  })
  const online = roi.rows.find((row) => row.channel === 'online')
  assert.equal(online.cost, '250.00')
  assert.equal(online.cost_per_lead, '125.00')

  assert.equal(crm.metric(ana, { metric: 'lead_conversion', ...january, scope: { user: 'bo' } }).rows.length, 0)
  assert.equal(crm.metric(ana, { metric: 'lead_conversion', ...january, scope: { user: 'ana' } }).rows.length, 2)
  assert.equal(crm.metric(ana, { metric: 'lead_conversion', ...january, scope: 'all' }).rows.length, 2)

  const targets = crm.metric(root, {
    metric: 'targets',
    targets: [{ user: 'ana', ...january, amount: eur('4000.00'), newCustomers: 4 }],
  })
  const kinds = Object.fromEntries(targets.columns.map((column) => [column.name, column.kind]))
  assert.equal(kinds.from, 'time')
  assert.equal(targets.rows.length, 1)
  const [target] = targets.rows
  assert.deepEqual(
    [target.who, target.from, target.until, target.amount_target, target.customers_target, target.customers_actual],
    ['ana', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '4000.00', 4, 1],
  )
  assert.equal(target.customers_attainment, 0.25)
})

test('bad queries are validation errors naming the field', () => {
  const { crm } = setup()
  assert.throws(() => crm.metric(ana, { metric: 'win_rates' }), invalid('query'))
  assert.throws(() => crm.metric(ana, { metric: 'service', groupBy: 'colour' }), invalid('group_by'))
  assert.throws(() => crm.metric(ana, { metric: 'win_rate', scope: { planet: 'mars' } }), invalid('scope'))
  assert.throws(() => crm.metric(ana, { metric: 'win_rate', from: 'yesterday' }), invalid('from'))
  assert.throws(
    () => crm.metric(ana, { metric: 'win_rate', from: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' }),
    invalid('until'),
  )
  assert.throws(
    () => crm.metric(root, { metric: 'targets', targets: [{ user: 'ana', ...january, newCustomers: 1.5 }] }),
    invalid('targets[0].new_customers'),
  )
  assert.throws(
    () => crm.metric(ana, { metric: 'channel_roi', costs: [{ channel: 'x', amount: eur('ten') }] }),
    invalid('amount'),
  )
})

test('metric refuses an unknown key in costs and targets, naming it', async () => {
  const { crm } = setup()
  // napi would drop `campaing`, and the cost would apply to every campaign.
  const misspelt = { metric: 'channel_roi', ...january, costs: [{ channel: 'online', campaing: 'spring', amount: eur('250.00') }] }
  assert.throws(() => crm.metric(ana, misspelt), invalid('costs[0].campaing'))
  await assert.rejects(crm.metricAsync(ana, misspelt), invalid('costs[0].campaing'))
  assert.throws(
    () => crm.metric(root, { metric: 'targets', targets: [{ user: 'ana', ...january }, { user: 'bo', ...january, new_customers: 4 }] }),
    (err) => invalid('targets[1].new_customers')(err) && /newCustomers/.test(err.message),
  )
  // A key whose value is undefined is absent, as everywhere in JS.
  const cost = crm.metric(ana, { metric: 'channel_roi', ...january, costs: [{ channel: 'online', campaing: undefined, amount: eur('250.00') }] })
  assert.equal(cost.rows.find((row) => row.channel === 'online').cost, '250.00')
})

test('metricAsync resolves the same table and rejects with the same error', async () => {
  const { crm } = setup()
  const query = { metric: 'lead_conversion', ...january }
  assert.deepEqual(await crm.metricAsync(ana, query), crm.metric(ana, query))
  await assert.rejects(crm.metricAsync(ana, { metric: 'win_rates' }), invalid('query'))
  await assert.rejects(crm.metricAsync(ana, { metric: 'service', groupBy: 'colour' }), invalid('group_by'))
})

test('customerLifetimeValue: historic value per customer, models null without enough history', async () => {
  const { crm, customer } = setup()
  const report = crm.customerLifetimeValue(ana, { asOf: '2026-02-01T00:00:00Z' })
  // Nothing signed yet: no purchases, so no rows.
  assert.deepEqual(report.rows, [])
  assert.equal(report.bgNbd, null)
  assert.equal(typeof report.notFitted, 'string')

  // A recorded purchase makes a row, money as a decimal string.
  crm.recordPurchase(root, { customer, reference: 'P-1', amount: eur('80.00') })
  const later = crm.customerLifetimeValue(ana, { asOf: '2026-02-01T00:00:00Z', months: 6, scope: { user: 'ana' } })
  assert.equal(later.currency, 'EUR')
  assert.equal(later.rows.length, 1)
  assert.equal(later.rows[0].customer, customer)
  assert.equal(later.rows[0].historic, '80.00')
  assert.equal(later.rows[0].frequency, 0)
  assert.equal(later.rows[0].t, 27)
  assert.equal(later.rows[0].clv, null)
  assert.deepEqual(await crm.customerLifetimeValueAsync(ana, { asOf: '2026-02-01T00:00:00Z', months: 6 }), later)

  assert.throws(() => crm.customerLifetimeValue(ana, { asOf: 'soon' }), invalid('as_of'))
  assert.throws(() => crm.customerLifetimeValue(ana, { months: 2.5 }), invalid('months'))
  assert.throws(() => crm.customerLifetimeValue(ana, { scope: { galaxy: 'far' } }), invalid('scope'))
})

const purchases = [
  { customer: 'a', at: '2026-01-02T10:00:00Z', amount: '10.00' },
  { customer: 'a', at: '2026-01-20T10:00:00Z', amount: '30.00' },
  { customer: 'a', at: '2026-02-25T10:00:00Z', amount: '50.00' },
  { customer: 'b', at: '2026-01-05T10:00:00Z', amount: '20.00' },
  { customer: 'b', at: new Date('2026-01-05T18:00:00Z'), amount: '5.00' },
  { customer: 'c', at: '2026-02-01T10:00:00Z', amount: '12.00' },
  { customer: 'c', at: '2026-03-15T10:00:00Z', amount: '8.00' },
  { customer: 'd', at: '2026-03-01T10:00:00Z', amount: '99.00' },
]

test('fitClv fits both models: parameters as numbers, money as decimal strings', async () => {
  const model = fitClv(purchases, '2026-04-01T00:00:00Z')
  for (const key of ['r', 'alpha', 'a', 'b', 'logLikelihood']) {
    assert.equal(typeof model.bgNbd[key], 'number', key)
    assert.ok(Number.isFinite(model.bgNbd[key]), key)
  }
  assert.ok(model.bgNbd.r > 0 && model.bgNbd.alpha > 0)
  assert.ok(model.gammaGamma.p > 0 && model.gammaGamma.q > 0 && model.gammaGamma.v > 0)
  assert.ok(Number.isInteger(model.gammaGamma.iterations))
  assert.deepEqual(model.customers.map((c) => c.customer), ['a', 'b', 'c', 'd'])
  const [a, b] = model.customers
  assert.deepEqual([a.frequency, a.recency, a.t, a.monetary], [2, 54, 89, '40.00'])
  assert.deepEqual([b.frequency, b.t], [0, 86])
  assert.match(a.clv, /^\d+\.\d{2}$/)
  assert.match(a.expectedValue, /^\d+\.\d{2}$/)
  assert.ok(a.pAlive > 0 && a.pAlive <= 1)

  // A longer horizon values a customer more.
  const longer = fitClv(purchases, '2026-04-01T00:00:00Z', { months: 24 })
  assert.ok(Number(longer.customers[0].clv) > Number(a.clv))
  assert.deepEqual(await fitClvAsync(purchases, '2026-04-01T00:00:00Z'), model)
})

test('fitClv refuses too little history, bad amounts and bad options, naming the field', async () => {
  assert.throws(() => fitClv(purchases.slice(0, 1), '2026-04-01T00:00:00Z'), invalid('data'))
  assert.throws(() => fitClv([{ ...purchases[0], amount: 'ten' }], '2026-04-01T00:00:00Z'), invalid('purchases[0].amount'))
  assert.throws(() => fitClv(purchases, 'never'), invalid('as_of'))
  assert.throws(() => fitClv(purchases, '2026-04-01T00:00:00Z', { months: 0 }), invalid('months'))
  assert.throws(() => fitClv(purchases, '2026-04-01T00:00:00Z', { monthlyDiscount: -1 }), invalid('monthly_discount'))
  await assert.rejects(fitClvAsync(purchases.slice(0, 1), '2026-04-01T00:00:00Z'), invalid('data'))
})

/** A temporary directory for import files, removed after `work`. */
function withDir(work) {
  const dir = mkdtempSync(join(tmpdir(), 'crm-import-'))
  try {
    return work(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const customersCsv = 'Company,E-mail\nOmega,hi@omega.example\nPsi,not-an-email\nOmega two,HI@omega.example\nRho,rho@example.com\n'
const customerSpec = { kind: 'customer', format: 'csv', mapping: { name: 'Company', email: 'E-mail' } }

test('importRows from a file path: refused rows come back as { row, field, reason }', () => {
  withDir((dir) => {
    const path = join(dir, 'customers.csv')
    writeFileSync(path, customersCsv)
    const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 5 })

    // All or nothing (the default): one bad row, nothing written.
    const checked = crm.importRows(root, customerSpec, path)
    assert.equal(checked.imported, 0)
    assert.equal(crm.list(root, 'customer').length, 0)

    const report = crm.importRows(root, { ...customerSpec, mode: 'best_effort' }, path)
    assert.deepEqual(report, {
      rows: 4,
      imported: 2,
      duplicates: 1,
      rejected: [
        { row: 3, field: 'email', reason: 'is not an email address' },
        { row: 4, field: 'email', reason: 'repeats the email of row 2' },
      ],
      batches: 1,
      cancelled: false,
    })
    const names = crm.list(root, 'customer').map((record) => record.customer.name).sort()
    assert.deepEqual(names, ['Omega', 'Rho'])
  })
})

test('importRows reads a Buffer; mapping keys in camelCase; refusals name the setting', () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 6 })
  const leads = Buffer.from('{"Firm": "Zeta", "Person": "Zoe"}\n{"source": "web"}\n')
  const report = crm.importRows(
    root,
    { kind: 'lead', format: 'jsonl', mode: 'best_effort', mapping: { company: 'Firm', contactName: 'Person' } },
    leads,
  )
  assert.equal(report.imported, 1)
  assert.deepEqual(report.rejected, [{ row: 2, field: 'company', reason: 'a lead needs a company or a contact_name' }])
  const [lead] = crm.list(root, 'lead').map((record) => record.lead)
  assert.deepEqual([lead.company, lead.contactName], ['Zeta', 'Zoe'])

  assert.throws(
    () => crm.importRows(root, { kind: 'lead', format: 'jsonl', mapping: { colour: 'C' } }, leads),
    (err) => err.code === 'config' && err.path === 'import.mapping.colour',
  )
  assert.throws(
    () => crm.importRows(root, { kind: 'lead', format: 'pdf' }, leads),
    (err) => err.code === 'config' && err.path === 'import',
  )
  assert.throws(() => crm.importRows(root, { kind: 'lead', format: 'jsonl', batchSize: 2.5 }, leads), invalid('batch_size'))
  assert.throws(() => crm.importRows(root, { kind: 'lead', format: 'jsonl' }, 42), invalid('source'))
  assert.throws(() => crm.importRows(root, { kind: 'lead', format: 'jsonl' }, leads, 'go'), invalid('progress'))
  assert.throws(() => crm.importRows(root, customerSpec, join(tmpdir(), 'no-such-dir-crm', 'x.csv')), failure('storage'))
})

test('the progress callback runs on the JS thread, during the call, and false stops the import', () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 7 })
  const rows = Array.from({ length: 5 }, (_, i) => `Firm ${i},firm${i}@example.com`).join('\n')
  const csv = Buffer.from(`Company,E-mail\n${rows}\n`)
  const spec = { ...customerSpec, mode: 'best_effort', batchSize: 2 }

  const seen = []
  const report = crm.importRows(root, spec, csv, (progress) => {
    seen.push({ ...progress })
  })
  assert.deepEqual(seen, [
    { rows: 2, imported: 2, rejected: 0, checking: false },
    { rows: 4, imported: 4, rejected: 0, checking: false },
    { rows: 5, imported: 5, rejected: 0, checking: false },
  ])
  assert.equal(report.imported, 5)

  const again = new Crm({ now: '2026-01-05T09:00:00Z', seed: 8 })
  let calls = 0
  const stopped = again.importRows(root, spec, csv, () => {
    calls += 1
    return false
  })
  assert.equal(calls, 1)
  assert.equal(stopped.cancelled, true)
  assert.equal(stopped.imported, 2, 'the first batch stays written')
  assert.equal(again.list(root, 'customer').length, 2)

  // All or nothing: the callback hears the checking pass first.
  const third = new Crm({ now: '2026-01-05T09:00:00Z', seed: 9 })
  const passes = []
  third.importRows(root, { ...customerSpec, batchSize: 3 }, csv, (p) => { passes.push(p.checking) })
  assert.deepEqual(passes, [true, true, false, false])
})

test('an exception in the progress callback stops the import and is rethrown as it is', () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 10 })
  const csv = Buffer.from('Company,E-mail\nA,a@example.com\nB,b@example.com\nC,c@example.com\n')
  const boom = new RangeError('stop here')
  let calls = 0
  assert.throws(
    () =>
      crm.importRows(root, { ...customerSpec, mode: 'best_effort', batchSize: 1 }, csv, () => {
        calls += 1
        throw boom
      }),
    (err) => err === boom,
  )
  assert.equal(calls, 1)
  assert.equal(crm.list(root, 'customer').length, 1, 'the batch before stays written')

  // The engine is usable afterwards; a synchronous command from inside the
  // callback is refused (the import holds the engine) rather than deadlocking.
  assert.throws(
    () => crm.importRows(root, { ...customerSpec, mode: 'best_effort', batchSize: 1 }, csv, () => {
      crm.list(root, 'customer')
    }),
    failure('internal'),
  )
  assert.equal(crm.now(), '2026-01-05T09:00:00Z')
})

test('importRowsAsync imports from a copy of the Buffer, and rejects as importRows throws', async () => {
  const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 11 })
  const csv = Buffer.from(customersCsv)
  const pending = crm.importRowsAsync(root, { ...customerSpec, mode: 'best_effort' }, csv)
  csv.fill(0) // changed after the call: the import reads its copy
  const report = await pending
  assert.equal(report.imported, 2)
  assert.deepEqual(report.rejected.map((r) => [r.row, r.field]), [[3, 'email'], [4, 'email']])
  await assert.rejects(crm.importRowsAsync(root, { kind: 'lead', format: 'jsonl' }, 42), invalid('source'))
  const dir = mkdtempSync(join(tmpdir(), 'crm-import-'))
  try {
    const path = join(dir, 'c.csv')
    writeFileSync(path, customersCsv)
    const other = new Crm({ now: '2026-01-05T09:00:00Z', seed: 12 })
    const fromPath = await other.importRowsAsync(root, customerSpec, path)
    assert.equal(fromPath.imported, 0, 'all or nothing')
    assert.equal(fromPath.rejected.length, 2)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
