// Customer value (RFM) through the Node API: the row functions (scoreRfm) and
// the columnar ones (scoreRfmColumns, over typed arrays) agree on generated
// data, whatever typed arrays the columns come in; bad input is a typed error;
// refunds, empty input, microsecond times; the Async twins. The definition is
// tested in Rust and by the shared vector tests/vectors/rfm.json; these tests
// prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { scoreRfm, scoreRfmAsync, scoreRfmColumns, scoreRfmColumnsAsync } from '../index.js'

const asOf = '2026-01-01T00:00:00Z'
const asOfMillis = Date.parse(asOf)
const DAY = 86_400_000

/** A deterministic pseudo-random generator (mulberry32): numbers in [0, 1). */
function random(seed) {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A customer's name for the row API: zero-padded, so names sort as the ids do. */
const nameOf = (id) => `c${String(id).padStart(6, '0')}`

/** Minor units as the decimal string the core writes (`-5n`, 2 places: `'-0.05'`). */
function decimal(minor, places) {
  const negative = minor < 0n
  const digits = (negative ? -minor : minor).toString().padStart(places + 1, '0')
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`
  return negative ? `-${text}` : text
}

/** Microseconds since 1970 as RFC 3339 the way the core writes it (fractions only when there are any). */
function rfc3339(micros) {
  const iso = new Date(Number(micros / 1000n)).toISOString()
  const fraction = micros % 1_000_000n
  if (fraction === 0n) return iso.replace('.000Z', 'Z')
  if (fraction % 1000n === 0n) return iso
  return iso.replace(/\.\d{3}Z$/, `.${fraction.toString().padStart(6, '0')}Z`)
}

/**
 * Purchases of `customers` customers over two years before `asOf`, at whole
 * milliseconds (some on whole seconds), with zero amounts, refunds, a few rows
 * after `asOf` and a few customers with refunds only: as rows and as columns.
 */
function generate({ rows = 4000, customers = 500, seed = 42, places = 2 } = {}) {
  const next = random(seed)
  const ids = []
  const millis = []
  const minor = []
  for (let i = 0; i < rows; i++) {
    const id = 1 + Math.floor(next() * customers)
    let at = asOfMillis - Math.floor(next() * 730 * DAY)
    if (next() < 0.5) at -= at % 1000
    if (next() < 0.01) at = asOfMillis + 1 + Math.floor(next() * 30 * DAY) // not yet
    const roll = next()
    const cents = roll < 0.05 ? 0 : Math.floor(next() * 50_000) * (roll > 0.93 ? -1 : 1)
    ids.push(id)
    millis.push(at)
    minor.push(cents)
  }
  // Customers beyond the others, with refunds only.
  for (const id of [customers + 1, customers + 2]) {
    ids.push(id)
    millis.push(asOfMillis - 3 * DAY)
    minor.push(-1234)
  }
  const purchases = ids.map((id, i) => ({
    customer: nameOf(id),
    at: new Date(millis[i]).toISOString(),
    amount: decimal(BigInt(minor[i]), places),
  }))
  const columns = {
    customers: new BigInt64Array(ids.map(BigInt)),
    at: new BigInt64Array(millis.map((ms) => BigInt(ms) * 1000n)),
    amountsMinor: new BigInt64Array(minor.map(BigInt)),
  }
  return { purchases, columns, ids, millis, minor }
}

/** The columns as the row API's result, customer ids named by `name`. */
function asRows(columns, name = nameOf) {
  const customers = Array.from(columns.customer, (id, i) => ({
    customer: name(id),
    recencyDays: columns.recencyDays[i],
    frequency: columns.frequency[i],
    monetary: decimal(columns.monetaryMinor[i], columns.minorUnits),
    firstPurchase: rfc3339(columns.firstPurchase[i]),
    tenureDays: columns.tenureDays[i],
    r: columns.r[i],
    f: columns.f[i],
    m: columns.m[i],
    fm: columns.fm[i],
    segment: columns.segmentNames[columns.segment[i]],
    tier: columns.tierNames[columns.tier[i]],
    signal: columns.signalNames[columns.signal[i]],
  }))
  return { customers, skipped: columns.skipped }
}

/** Every column holds one entry per customer, in the typed array it is documented as. */
function assertShape(columns) {
  const n = columns.customer.length
  const kinds = {
    customer: BigInt64Array,
    recencyDays: Int32Array,
    frequency: Float64Array,
    monetaryMinor: BigInt64Array,
    firstPurchase: BigInt64Array,
    tenureDays: Int32Array,
    r: Uint8Array,
    f: Uint8Array,
    m: Uint8Array,
    fm: Uint8Array,
    segment: Uint16Array,
    tier: Uint8Array,
    signal: Uint8Array,
  }
  for (const [name, kind] of Object.entries(kinds)) {
    assert.ok(columns[name] instanceof kind, `${name} is a ${kind.name}`)
    assert.equal(columns[name].length, n, `${name} has an entry per customer`)
  }
  assert.deepEqual(columns.tierNames, ['A', 'B', 'C'])
  assert.deepEqual(columns.signalNames, ['active', 'at_risk', 'dormant', 'churned'])
  assert.ok(columns.segment.every((s) => s < columns.segmentNames.length))
}

const configs = [
  undefined,
  { ties: 'position' },
  { monetary: 'mean' },
  { ties: 'position', monetary: 'mean', minor_units: 3 },
  {
    bins: 3,
    thresholds: { recency_days: [30, 180], frequency: [5, 10], monetary: ['500.00', '2000'] },
    segments: { rules: [{ name: 'top', r: [3, 3], fm: [2, 3] }, { name: 'gone', r: [1, 1] }], default: 'rest' },
    tiers: { a: ['top'], b: ['rest'] },
  },
  { signals: { at_risk_after: '1.5', dormant_after: 3, churned_after: '6', min_gap_days: 14, single_purchase_gap_days: 60 } },
]

test('the columns API equals the row API on generated data, for every configuration', () => {
  for (const config of configs) {
    const places = config?.minor_units ?? 2
    const { purchases, columns } = generate({ places })
    const rows = scoreRfm(purchases, asOf, config)
    const table = scoreRfmColumns(columns, asOf, { config })
    assertShape(table)
    assert.equal(table.minorUnits, places)
    assert.ok(rows.customers.length > 400, 'most customers are scored')
    assert.equal(rows.skipped.refundOnly, 2)
    assert.ok(rows.skipped.future > 0, 'rows after asOf are left out')
    assert.deepEqual(asRows(table), rows, `config ${JSON.stringify(config)}`)
  }
})

test('the config is a JSON string or an object, the same either way', () => {
  const { purchases, columns } = generate({ rows: 500, customers: 80 })
  const config = { ties: 'position', monetary: 'mean' }
  assert.deepEqual(scoreRfm(purchases, asOf, JSON.stringify(config)), scoreRfm(purchases, asOf, config))
  assert.deepEqual(
    scoreRfmColumns(columns, asOf, { config: JSON.stringify(config) }),
    scoreRfmColumns(columns, asOf, { config }),
  )
  assert.deepEqual(scoreRfm(purchases, asOf, null), scoreRfm(purchases, asOf))
})

test('every typed array a column takes gives the same result', () => {
  const { columns, ids, millis, minor } = generate()
  const expected = scoreRfmColumns(columns, asOf)
  const customers = [columns.customers, new Int32Array(ids), new Float64Array(ids)]
  const at = [columns.at, new Float64Array(millis)]
  const amounts = [columns.amountsMinor, new Int32Array(minor)]
  for (const c of customers) {
    for (const t of at) {
      for (const a of amounts) {
        const result = scoreRfmColumns({ customers: c, at: t, amountsMinor: a }, asOf)
        assert.deepEqual(result, expected, `${c.constructor.name}, ${t.constructor.name}, ${a.constructor.name}`)
      }
    }
  }
  // A view into a larger buffer is read from its own offset.
  const buffer = new BigInt64Array(ids.length + 3)
  buffer.set(columns.customers, 3)
  const view = new BigInt64Array(buffer.buffer, 3 * 8, ids.length)
  assert.deepEqual(scoreRfmColumns({ ...columns, customers: view }, asOf), expected)
})

test('threads split the aggregation without changing the result, dense ids or sparse', () => {
  const rows = 300_000
  const next = random(7)
  const dense = new Int32Array(rows)
  const sparse = new Float64Array(rows)
  const at = new BigInt64Array(rows)
  const amounts = new Int32Array(rows)
  for (let i = 0; i < rows; i++) {
    dense[i] = Math.floor(next() * 20_000)
    sparse[i] = dense[i] * 1_000_003_417 // far apart: hashed, not a table
    at[i] = BigInt(asOfMillis - Math.floor(next() * 400 * DAY)) * 1000n + BigInt(Math.floor(next() * 1000))
    amounts[i] = Math.floor(next() * 20_000) - 1_000
  }
  for (const customers of [dense, sparse]) {
    const columns = { customers, at, amountsMinor: amounts }
    const one = scoreRfmColumns(columns, asOf)
    assertShape(one)
    assert.ok(one.customer.length > 19_000)
    assert.deepEqual(scoreRfmColumns(columns, asOf, { threads: 4 }), one)
    assert.deepEqual(scoreRfmColumns(columns, asOf, { config: { threads: 3 } }), one)
  }
  assert.deepEqual(
    Array.from(scoreRfmColumns({ customers: sparse, at, amountsMinor: amounts }, asOf).customer.slice(0, 3)),
    [0n, 1_000_003_417n, 2_000_006_834n],
  )
})

test('refunds lower monetary but are no purchases; customers with refunds only are left out', () => {
  const purchases = [
    { customer: 'ann', at: '2025-12-01T10:00:00Z', amount: '50.00' },
    { customer: 'ann', at: '2025-12-20T10:00:00Z', amount: '-20.00' }, // a refund: not her last purchase
    { customer: 'bob', at: '2025-11-01T10:00:00Z', amount: '10' },
    { customer: 'bob', at: '2025-11-02T10:00:00Z', amount: '-25.5' },
    { customer: 'cyd', at: '2025-12-30T10:00:00Z', amount: '0' }, // zero is a purchase
    { customer: 'fay', at: '2025-12-01T10:00:00Z', amount: '-5.00' },
    { customer: 'fay', at: '2025-12-02T10:00:00Z', amount: '-1.00' },
  ]
  const { customers, skipped } = scoreRfm(purchases, asOf)
  assert.deepEqual(skipped, { future: 0, refundOnly: 1 })
  assert.deepEqual(
    customers.map((c) => [c.customer, c.frequency, c.monetary, c.recencyDays, c.firstPurchase]),
    [
      ['ann', 1, '30.00', 31, '2025-12-01T10:00:00Z'],
      ['bob', 1, '-15.50', 61, '2025-11-01T10:00:00Z'],
      ['cyd', 1, '0.00', 2, '2025-12-30T10:00:00Z'],
    ],
  )
  const columns = scoreRfmColumns(
    {
      customers: new Int32Array([1, 1, 2, 2, 3, 4, 4]),
      at: new Float64Array(purchases.map((p) => Date.parse(p.at))),
      amountsMinor: new Int32Array([5000, -2000, 1000, -2550, 0, -500, -100]),
    },
    asOf,
  )
  assert.deepEqual(asRows(columns, (id) => ['', 'ann', 'bob', 'cyd'][Number(id)]), { customers, skipped })
})

test('empty input scores no one', () => {
  assert.deepEqual(scoreRfm([], asOf), { customers: [], skipped: { future: 0, refundOnly: 0 } })
  const empty = { customers: new BigInt64Array(0), at: new BigInt64Array(0), amountsMinor: new BigInt64Array(0) }
  const columns = scoreRfmColumns(empty, asOf, { threads: 2 })
  assertShape(columns)
  assert.equal(columns.customer.length, 0)
  assert.deepEqual(columns.skipped, { future: 0, refundOnly: 0 })
  assert.equal(columns.segmentNames.length, 12, 'the standard segments and the default')
})

test('times keep their microseconds; Dates and RFC 3339 strings with offsets are taken', () => {
  const purchases = [
    { customer: 'ann', at: '2025-12-01T10:00:00.123456Z', amount: '1.00' },
    { customer: 'ann', at: new Date('2025-12-02T10:00:00.5Z'), amount: '1.00' },
    { customer: 'bob', at: '2025-12-01T12:00:00+02:00', amount: '1.00' },
  ]
  const rows = scoreRfm(purchases, new Date(asOf))
  assert.deepEqual(
    rows.customers.map((c) => c.firstPurchase),
    ['2025-12-01T10:00:00.123456Z', '2025-12-01T10:00:00Z'],
  )
  assert.deepEqual(scoreRfm(purchases, '2026-01-01T01:00:00+01:00'), rows)
  const micros = (text) => BigInt(Date.parse(text)) * 1000n
  const columns = scoreRfmColumns(
    {
      customers: new Int32Array([1, 1, 2]),
      at: new BigInt64Array([micros('2025-12-01T10:00:00Z') + 123_456n, micros('2025-12-02T10:00:00.500Z'), micros('2025-12-01T10:00:00Z')]),
      amountsMinor: new Int32Array([100, 100, 100]),
    },
    asOf,
  )
  assert.deepEqual(asRows(columns, (id) => ['', 'ann', 'bob'][Number(id)]), rows)
  assert.equal(columns.firstPurchase[0], micros('2025-12-01T10:00:00Z') + 123_456n)
})

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

const buy = (customer, at, amount) => ({ customer, at, amount })

test('row API: a bad configuration is a config error with its path; bad rows are validation errors naming them', () => {
  const purchases = [buy('ann', '2025-12-01T10:00:00Z', '10.00'), buy('bob', '2025-12-01T10:00:00Z', '1.50')]
  fails(() => scoreRfm(purchases, asOf, { bins: 4 }), 'config', { path: 'rfm.segments' })
  fails(() => scoreRfm(purchases, asOf, { bins: 11 }), 'config', { path: 'rfm.bins' })
  fails(() => scoreRfm(purchases, asOf, { bins: 3, thresholds: { recency_days: [1], frequency: [1, 2], monetary: [1, 2] }, segments: { rules: [], default: 'x' } }), 'config', {
    path: 'rfm.thresholds.recency_days',
  })
  fails(() => scoreRfm(purchases, asOf, { ties: 'random' }), 'config', { path: 'rfm' })
  fails(() => scoreRfm(purchases, asOf, '{ not json'), 'config', { path: 'rfm' })
  fails(() => scoreRfm(purchases, asOf, 5), 'config', { path: 'rfm' })
  const cycle = {}
  cycle.self = cycle
  fails(() => scoreRfm(purchases, asOf, cycle), 'config', { path: 'rfm' })

  const err = fails(() => scoreRfm([...purchases, buy('cyd', '2025-12-01T10:00:00Z', '9.999')], asOf), 'validation', {
    fields: ['purchases[2].amount'],
    value: '9.999',
  })
  assert.match(err.message, /more than 2 decimal places/)
  // With three decimal places of minor unit, the same amount is fine.
  assert.equal(scoreRfm([buy('cyd', '2025-12-01T10:00:00Z', '9.999')], asOf, { minor_units: 3 }).customers[0].monetary, '9.999')
  fails(() => scoreRfm([buy('ann', '2025-12-01T10:00:00Z', 'ten')], asOf), 'validation', {
    fields: ['purchases[0].amount'],
    value: 'ten',
  })
  fails(() => scoreRfm([buy('ann', '2025-12-01T10:00:00Z', '1e400')], asOf), 'validation', { fields: ['purchases[0].amount'] })
  fails(() => scoreRfm([...purchases, buy('ann', '1 Dec 2025', '1.00')], asOf), 'validation', { fields: ['purchases[2].at'] })
  fails(() => scoreRfm([buy('ann', new Date(NaN), '1.00')], asOf), 'validation', { fields: ['purchases[0].at'] })
  fails(() => scoreRfm(purchases, 'tomorrow'), 'validation', { fields: ['as_of'] })
  // A number where an amount is expected is refused, as everywhere in the binding.
  assert.throws(() => scoreRfm([buy('ann', '2025-12-01T10:00:00Z', 10)], asOf), { code: 'StringExpected' })
})

test('columns API: columns of the wrong kind or length, fractions and NaN are validation errors naming the column', () => {
  const ok = { customers: new Int32Array([1, 2]), at: new Float64Array([asOfMillis - DAY, asOfMillis - 2 * DAY]), amountsMinor: new Int32Array([100, 200]) }
  assert.equal(scoreRfmColumns(ok, asOf).customer.length, 2)
  const cases = [
    [{ customers: new Int32Array([1]) }, 'at', /one entry per purchase/],
    [{ amountsMinor: new BigInt64Array([1n, 2n, 3n]) }, 'amounts_minor', /one entry per purchase/],
    [{ customers: new Float64Array([1, 2.5]) }, 'customers', /whole numbers/],
    [{ customers: new Float64Array([1, NaN]) }, 'customers', /whole numbers/],
    [{ customers: new Float64Array([2 ** 53, 1]) }, 'customers', /whole numbers/],
    [{ at: new Float64Array([asOfMillis, NaN]) }, 'at', /whole numbers/],
    [{ at: new Float64Array([asOfMillis, Infinity]) }, 'at', /whole numbers/],
    [{ at: new Float64Array([asOfMillis + 0.5, asOfMillis]) }, 'at', /whole numbers/],
    [{ customers: [1, 2] }, 'customers', /not an Array/],
    [{ customers: new Uint8Array([1, 2]) }, 'customers', /not a Uint8Array/],
    [{ customers: new BigUint64Array([1n, 2n]) }, 'customers', /not a BigUint64Array/],
    [{ at: new Int32Array([1, 2]) }, 'at', /not an Int32Array/],
    [{ at: ['2025-12-01T10:00:00Z', '2025-12-02T10:00:00Z'] }, 'at', /not an Array/],
    [{ amountsMinor: new Float64Array([1, 2]) }, 'amounts_minor', /not a Float64Array/],
    [{ amountsMinor: null }, 'amounts_minor', /not Null/],
    [{ amountsMinor: new BigInt64Array([2n ** 62n, 2n ** 62n]), customers: new Int32Array([1, 1]) }, 'amounts', /64-bit/],
  ]
  for (const [change, field, reason] of cases) {
    const err = fails(() => scoreRfmColumns({ ...ok, ...change }, asOf), 'validation', { fields: [field] })
    assert.match(err.reason, reason, `${field}: ${err.message}`)
  }
  fails(() => scoreRfmColumns(ok, 'now'), 'validation', { fields: ['as_of'] })
  fails(() => scoreRfmColumns(ok, asOf, { threads: 0 }), 'validation', { fields: ['threads'] })
  fails(() => scoreRfmColumns(ok, asOf, { threads: 1.5 }), 'validation', { fields: ['threads'] })
  fails(() => scoreRfmColumns(ok, asOf, { config: { bins: 4 } }), 'config', { path: 'rfm.segments' })
  fails(() => scoreRfmColumns(ok, asOf, { config: { threads: 0 } }), 'config', { path: 'rfm.threads' })
  fails(() => scoreRfmColumns(ok, asOf, { config: { monetry: 'sum' } }), 'config', { path: 'rfm' })
  // A missing column is refused by napi-rs, as a missing required property is everywhere.
  assert.throws(() => scoreRfmColumns({ customers: ok.customers, at: ok.at }, asOf), { code: 'InvalidArg' })
})

test('scoreRfmAsync resolves to what scoreRfm returns, and rejects with the same errors', async () => {
  const { purchases } = generate({ rows: 2000, customers: 300, seed: 9 })
  for (const config of configs) {
    const places = config?.minor_units ?? 2
    const rows = places === 2 ? purchases : generate({ rows: 2000, customers: 300, seed: 9, places }).purchases
    assert.deepEqual(await scoreRfmAsync(rows, asOf, config), scoreRfm(rows, asOf, config))
  }
  await assert.rejects(scoreRfmAsync(purchases, asOf, { bins: 4 }), { code: 'config', path: 'rfm.segments' })
  await assert.rejects(scoreRfmAsync([buy('ann', asOf, '0.001')], asOf), {
    code: 'validation',
    fields: ['purchases[0].amount'],
  })
  await assert.rejects(scoreRfmAsync([], 'yesterday'), { code: 'validation', fields: ['as_of'] })
})

test('scoreRfmColumnsAsync resolves to what scoreRfmColumns returns, whatever JS does to the arrays meanwhile', async () => {
  const { columns, ids, millis, minor } = generate({ seed: 3 })
  const expected = scoreRfmColumns(columns, asOf)
  const variants = [
    columns,
    { customers: new Float64Array(ids), at: new Float64Array(millis), amountsMinor: new Int32Array(minor) },
  ]
  const results = await Promise.all(variants.map((v) => scoreRfmColumnsAsync(v, asOf, { threads: 2 })))
  for (const result of results) assert.deepEqual(result, expected)

  // The columns are copied before the Promise exists: changing them after the
  // call does not change the result.
  const mine = { customers: new Int32Array(ids), at: new BigInt64Array(columns.at), amountsMinor: new BigInt64Array(columns.amountsMinor) }
  const pending = scoreRfmColumnsAsync(mine, asOf)
  mine.customers.fill(1)
  mine.amountsMinor.fill(-1n)
  assert.deepEqual(await pending, expected)

  await assert.rejects(scoreRfmColumnsAsync({ ...columns, at: new Float64Array(ids.length).fill(NaN) }, asOf), {
    code: 'validation',
    fields: ['at'],
  })
  await assert.rejects(scoreRfmColumnsAsync({ ...columns, customers: new Uint16Array(ids.length) }, asOf), {
    code: 'validation',
    fields: ['customers'],
  })
  await assert.rejects(scoreRfmColumnsAsync(columns, asOf, { config: '{"bins": 1}' }), { code: 'config', path: 'rfm.bins' })
})
