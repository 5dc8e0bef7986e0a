// Duplicate matching through the Node API: dedupe (a DedupeResult) and
// explainMatch, with their Async twins. Typos and format variants are found,
// blank fields never match, bad input is a validation error naming the field,
// and more threads give the same result. The matching itself is tested in Rust
// and by the shared vector tests/vectors/dedupe.json; these tests prove the
// binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { DedupeResult, dedupe, dedupeAsync, explainMatch, explainMatchAsync } from '../index.js'

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

const FIRST = ['James', 'Maria', 'Wei', 'Olga', 'Ahmed', 'Sofia', 'Lukas', 'Aiko', 'Pedro', 'Grace', 'Ivan', 'Fatima']
const LAST = ['Smith', 'Garcia', 'Zhang', 'Petrova', 'Hassan', 'Rossi', 'Weber', 'Tanaka', 'Silva', 'Okafor', 'Novak', 'Haddad']
const COMPANIES = ['Acme Inc.', 'Globex GmbH', 'Initech LLC', 'Umbrella S.A.', 'Hooli Ltd', 'Vandelay Industries']
const CITIES = ['Berlin', 'Madrid', 'Boston', 'Osaka', 'Lagos', 'Prague']

/** A typo: two neighbouring letters swapped, away from the first letter. */
function typo(word, next) {
  if (word.length < 4) return word
  const at = 1 + Math.floor(next() * (word.length - 2))
  return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2)
}

/** The same US number in another format. */
function reformat(digits, style) {
  const [area, exchange, line] = [digits.slice(0, 3), digits.slice(3, 6), digits.slice(6)]
  return [`+1 ${area} ${exchange} ${line}`, `(${area}) ${exchange}-${line}`, `${area}.${exchange}.${line}`][style % 3]
}

/**
 * `people` distinct people (unique emails and phones), then for every third
 * one a variant row: a typo in the first name, the email in capitals, the
 * phone in another format, the company's legal form spelled out differently.
 * Returns the rows and the pairs of rows that are the same person.
 */
function generate({ people = 60, seed = 7 } = {}) {
  const next = random(seed)
  const pick = (list) => list[Math.floor(next() * list.length)]
  const rows = []
  const base = []
  for (let i = 0; i < people; i++) {
    const first = pick(FIRST)
    const last = pick(LAST)
    const digits = `${415 + (i % 5)}${String(2000000 + i * 7919).padStart(7, '0')}`
    const person = {
      firstName: first,
      lastName: last,
      email: `${first}.${last}.${i}@example${i % 4}.com`.toLowerCase(),
      phone: reformat(digits, 0),
      company: pick(COMPANIES),
      city: pick(CITIES),
    }
    base.push({ person, digits })
    rows.push(person)
  }
  const same = []
  base.forEach(({ person, digits }, i) => {
    if (i % 3 !== 0) return
    same.push([i, rows.length])
    rows.push({
      firstName: typo(person.firstName, next),
      lastName: person.lastName.toUpperCase(),
      email: person.email.toUpperCase(),
      phone: reformat(digits, 1 + (i % 2)),
      company: person.company.replace(/Inc\.|GmbH|LLC|S\.A\.|Ltd/, (form) => ({ 'Inc.': 'Incorporated', GmbH: 'G.m.b.H.', LLC: 'L.L.C.', 'S.A.': 'SA', Ltd: 'Limited' })[form]),
      city: person.city,
    })
  })
  return { rows, same }
}

/** Everything a result says, as plain data (for comparing two results). */
function snapshot(result) {
  return {
    pairs: result.pairs(),
    clusterIds: result.clusterIds(),
    clusters: result.clusters(),
    model: result.model,
    candidatePairs: result.candidatePairs,
    blocking: result.blocking,
    length: result.length,
  }
}

test('typos and format variants of the same person are found, and nobody else', () => {
  const { rows, same } = generate()
  const result = dedupe(rows)
  assert.ok(result instanceof DedupeResult)
  assert.equal(result.length, rows.length)
  const found = result.pairs().map(({ left, right }) => `${left}-${right}`)
  assert.deepEqual(found.sort(), same.map(([l, r]) => `${l}-${r}`).sort())
  const ids = result.clusterIds()
  assert.equal(ids.length, rows.length)
  for (const [left, right] of same) assert.equal(ids[right], left, `row ${right} joins row ${left}`)
  assert.deepEqual(
    result.clusters().map(({ id, rows }) => [id, rows]),
    same.map(([l, r]) => [l, [l, r]]),
  )
  for (const pair of result.pairs()) {
    assert.ok(pair.probability >= 0.9 && pair.probability <= 1, `${pair.probability}`)
    assert.equal(typeof pair.weight, 'number')
    assert.ok(pair.rule === null || typeof pair.rule === 'string')
    // A pair's explanation says what the scan scored.
    const why = result.explain(pair.left, pair.right)
    assert.equal(why.probability, pair.probability)
    assert.equal(why.matched, true)
  }
  assert.ok(result.candidatePairs >= same.length)
  assert.deepEqual(
    result.blocking.map(({ key }) => key),
    ['email', 'phone', 'name', 'last_company', 'last_domain', 'first_company'],
  )
})

test('the explanation of a variant pair: normalised values, levels and camelCase keys', () => {
  const result = dedupe([
    { firstName: 'Jonathan', lastName: 'Smith', email: 'jon.smith@acme.com', phone: '+1 415 555 0134' },
    { firstName: 'Jonathon', lastName: 'SMITH', email: 'Jon.Smith@ACME.com', phone: '(415) 555-0134' },
    { firstName: 'Maria', lastName: 'Garcia', email: 'maria@example.org' },
  ])
  assert.deepEqual(result.clusterIds(), [0, 0, 2])
  assert.deepEqual(result.clusters(), [
    { id: 0, rows: [0, 1], pairs: 1, minProbability: result.pairs()[0].probability },
  ])
  const why = result.explain(0, 1)
  assert.deepEqual(Object.keys(why).sort(), [
    'decidedBy', 'fields', 'matched', 'namesSwapped', 'priorWeight', 'probability', 'rule', 'weight',
  ])
  assert.ok(why.probability > 0.99)
  assert.equal(why.rule, 'name_email')
  assert.equal(why.namesSwapped, false)
  assert.match(why.decidedBy, /^probability /)
  assert.deepEqual(why.fields.map(({ field }) => field), [
    'first_name', 'last_name', 'email', 'phone', 'company', 'title', 'city',
  ])
  const [first, , email, , company] = why.fields
  assert.deepEqual(Object.keys(first).sort(), ['field', 'left', 'level', 'right', 'similarity', 'termFrequency', 'weight'])
  assert.equal(first.level, 'close')
  assert.equal(email.level, 'exact')
  assert.equal(email.right, 'jon.smith@acme.com')
  assert.deepEqual(company, {
    field: 'company', left: null, right: null, level: 'missing', similarity: null, weight: 0, termFrequency: false,
  })
  // Any two rows, compared or not.
  assert.equal(result.explain(0, 2).matched, false)
  // The model is JSON the configuration takes back.
  assert.equal(typeof result.model.prior, 'number')
  assert.deepEqual(Object.keys(result.model.fields.email), ['m', 'u'])
  const again = explainMatch(
    { firstName: 'Jonathan', lastName: 'Smith', email: 'jon.smith@acme.com' },
    { firstName: 'Jonathon', lastName: 'SMITH', email: 'Jon.Smith@ACME.com' },
    { model: result.model },
  )
  assert.equal(again.rule, 'name_email')
  assert.equal(again.matched, true)
})

test('blank fields never match: no evidence, no pair', () => {
  const blanks = [{}, { email: '' }, { phone: '   ' }, { firstName: null, lastName: undefined }, { company: '' }, {}]
  const result = dedupe(blanks)
  assert.deepEqual(result.pairs(), [])
  assert.deepEqual(result.clusterIds(), [0, 1, 2, 3, 4, 5])
  assert.deepEqual(result.clusters(), [])
  for (const field of result.explain(0, 5).fields) assert.equal(field.level, 'missing', field.field)

  const why = explainMatch({}, {})
  assert.equal(why.matched, false)
  assert.equal(why.rule, null)
  assert.ok(why.fields.every(({ level, weight }) => level === 'missing' && weight === 0))

  // Same name, everything else blank on one side: the blanks do not make it a
  // rule match (every rule needs an email, a phone or a company and title).
  const rules = dedupe(
    [
      { firstName: 'Maria', lastName: 'Garcia', email: 'maria@example.org' },
      { firstName: 'Maria', lastName: 'Garcia' },
    ],
    { config: { method: 'rules' } },
  )
  assert.deepEqual(rules.pairs(), [])
  assert.equal(rules.explain(0, 1).fields[2].level, 'missing')
  assert.equal(rules.explain(0, 1).decidedBy, 'no rule holds')
})

test('one pair explained: swapped names, phones without a country code, legal forms', () => {
  const why = explainMatch(
    { firstName: 'Jon', lastName: 'Smith', phone: '+44 20 7946 0958', company: 'Acme Widgets Ltd' },
    { firstName: 'J.', lastName: 'Smyth', phone: '020 7946 0958', company: 'ACME WIDGETS LIMITED' },
    '{"default_region": "GB"}',
  )
  assert.deepEqual(why.fields.map(({ level }) => level), ['similar', 'similar', 'missing', 'exact', 'exact', 'missing', 'missing'])
  assert.equal(why.fields[4].left, 'acme widgets')

  const swapped = explainMatch(
    { name: 'Zhang Wei', email: 'WEI.ZHANG@huawei.com' },
    { firstName: 'Wei', lastName: 'Zhang', email: 'wei.zhang@huawei.com' },
  )
  assert.equal(swapped.namesSwapped, true)
  assert.equal(swapped.matched, true)
})

test('the configuration as a string or an object gives the same result', () => {
  const { rows } = generate({ people: 30, seed: 3 })
  const config = { method: 'either', threshold: 0.95, default_region: 'US' }
  assert.deepEqual(snapshot(dedupe(rows, { config: JSON.stringify(config) })), snapshot(dedupe(rows, { config })))
})

test('bad input is a validation error naming the field', () => {
  const refused = (call, fields) => {
    let thrown
    try {
      call()
    } catch (err) {
      thrown = err
    }
    assert.ok(thrown instanceof Error, `throws for ${fields}`)
    assert.equal(thrown.code, 'validation', thrown.message)
    assert.deepEqual(thrown.fields, fields, thrown.message)
    assert.equal(typeof thrown.reason, 'string')
    return thrown
  }
  // Records: unknown keys (the core's snake_case names too), wrong types.
  const snake = refused(() => dedupe([{ first_name: 'Ann' }]), ['records[0].first_name'])
  assert.match(snake.message, /firstName/)
  refused(() => dedupe([{}, { firstName: 'Ann', nickname: 'A' }]), ['records[1].nickname'])
  refused(() => dedupe([{ email: 42 }]), ['records[0].email'])
  refused(() => dedupe([{}, {}, { lastName: ['Smith'] }]), ['records[2].last_name'])
  refused(() => dedupe([{ phone: { number: '1' } }]), ['records[0].phone'])
  refused(() => dedupe([null]), ['records[0]'])
  refused(() => dedupe(['Ann Smith']), ['records[0]'])
  refused(() => dedupe({ 0: {} }), ['records'])
  refused(() => dedupe('records'), ['records'])
  refused(() => explainMatch({ firstName: 'Ann' }, { mail: 'a@b.c' }), ['b.mail'])
  refused(() => explainMatch({ city: 3 }, {}), ['a.city'])
  refused(() => explainMatch(null, {}), ['a'])
  // The configuration: the core's validation errors, on dedupe.<field>.
  refused(() => dedupe([], { config: { threshold: 1.5 } }), ['dedupe.threshold'])
  refused(() => dedupe([], { config: { default_region: 'ZZ' } }), ['dedupe.default_region'])
  refused(() => dedupe([], { config: { cluster_min_link: -1 } }), ['dedupe.cluster_min_link'])
  refused(() => dedupe([], { config: { rules: [{ name: 'x', all: {} }] } }), ['dedupe.rules[0]'])
  refused(() => dedupe([], { config: { unknown: true } }), ['dedupe'])
  refused(() => dedupe([], { config: '{not json' }), ['dedupe'])
  refused(() => dedupe([], { config: 7 }), ['dedupe'])
  refused(() => explainMatch({}, {}, { threshold: 2 }), ['dedupe.threshold'])
  // Threads, and rows to explain.
  refused(() => dedupe([], { threads: 0 }), ['threads'])
  refused(() => dedupe([], { threads: 1.5 }), ['threads'])
  const result = dedupe([{}, {}])
  refused(() => result.explain(0, 2), ['right'])
  refused(() => result.explain(5, 0), ['left'])
  refused(() => result.explain(-1, 0), ['left'])
  refused(() => result.explain(0, Number.NaN), ['right'])
  // The result comes from dedupe only.
  assert.throws(() => new DedupeResult())
})

test('threads: 2 gives the same result as threads: 1, trained model included', () => {
  // Over 1,000 rows: the scan trains its model on them.
  const { rows } = generate({ people: 900, seed: 11 })
  assert.ok(rows.length >= 1000)
  const one = snapshot(dedupe(rows, { threads: 1 }))
  const two = snapshot(dedupe(rows, { threads: 2 }))
  assert.deepEqual(two, one)
  assert.deepEqual(snapshot(dedupe(rows)), one, 'the default is one thread')
  assert.ok(one.pairs.length >= 250, `${one.pairs.length} pairs`)
})

test('the Async twins settle with what the synchronous functions return or throw', async () => {
  const { rows } = generate({ people: 40, seed: 5 })
  const sync = dedupe(rows, { threads: 2 })
  const promise = dedupeAsync(rows, { threads: 2 })
  assert.ok(promise instanceof Promise)
  const result = await promise
  assert.ok(result instanceof DedupeResult)
  assert.deepEqual(snapshot(result), snapshot(sync))
  assert.deepEqual(result.explain(0, 1), sync.explain(0, 1))

  const a = { firstName: 'Jon', lastName: 'Smith', email: 'js@acme.com' }
  const b = { firstName: 'John', lastName: 'Smith', email: 'JS@acme.com' }
  assert.deepEqual(await explainMatchAsync(a, b), explainMatch(a, b))

  await assert.rejects(dedupeAsync([{ firstname: 'x' }]), (err) => {
    assert.equal(err.code, 'validation')
    assert.deepEqual(err.fields, ['records[0].firstname'])
    return true
  })
  await assert.rejects(dedupeAsync([], { config: { threshold: -0.1 } }), { code: 'validation', fields: ['dedupe.threshold'] })
  await assert.rejects(explainMatchAsync({}, { email: 1 }), { code: 'validation', fields: ['b.email'] })
})
