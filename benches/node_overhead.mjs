// What a call into crm costs from Node, against plain JS calls measured in the
// same run: a trivial call (`crm.now()`) and a lookup (`crm.get`, which reads
// one record, checks access and converts it to a JS object).
//
// Not a test. Build the binding first, in release mode for meaningful numbers:
//   (cd crm-node && npm ci && npx napi build --platform --release)
//   node benches/node_overhead.mjs            # or: node benches/node_overhead.mjs 200000

import { Crm } from '../crm-node/index.js'

const iterations = Number(process.argv[2] ?? 100_000)
const rounds = 7

const crm = new Crm({ now: '2026-01-05T09:00:00Z', seed: 1 })
const ana = { user: 'ana', roles: ['sales'] }
const lead = crm.createLead(ana, {
  company: 'Acme GmbH',
  contactName: 'Jo Doe',
  email: 'jo@acme.example',
  owner: 'ana',
  productLine: 'presses',
})

// The JS baselines: a plain function call, the pure-JS counterpart of `now()`
// (format a time), and of `get()` (look a record up and copy it out).
const fixedNow = '2026-01-05T09:00:00Z'
function plainCall() {
  return fixedNow
}
const jsRecords = new Map([[lead.id, { ...lead }]])
function jsLookup(id) {
  const record = jsRecords.get(id)
  return { entity: 'lead', lead: { ...record, shares: [...record.shares] } }
}

let sink = 0
// Each case runs its own loop, so that every call site stays monomorphic and
// the loop costs the same in all of them.
const cases = {
  'plain JS function call': (n) => {
    for (let i = 0; i < n; i++) sink += plainCall().length
  },
  'JS: new Date().toISOString()': (n) => {
    for (let i = 0; i < n; i++) sink += new Date().toISOString().length
  },
  'JS: Map lookup + copy of the record': (n) => {
    for (let i = 0; i < n; i++) sink += jsLookup(lead.id).lead.version
  },
  'crm.now()': (n) => {
    for (let i = 0; i < n; i++) sink += crm.now().length
  },
  "crm.get(actor, 'lead', id)": (n) => {
    for (let i = 0; i < n; i++) sink += crm.get(ana, 'lead', lead.id).lead.version
  },
}

/** Nanoseconds per call: the median of several rounds, after a warm-up. */
function measure(loop) {
  loop(Math.min(iterations, 10_000))
  const perCall = []
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint()
    loop(iterations)
    perCall.push(Number(process.hrtime.bigint() - start) / iterations)
  }
  perCall.sort((a, b) => a - b)
  return perCall[Math.floor(rounds / 2)]
}

const results = Object.fromEntries(Object.entries(cases).map(([name, body]) => [name, measure(body)]))
const plain = results['plain JS function call']

console.log(`node ${process.version}, ${iterations} calls x ${rounds} rounds, median per call`)
console.log('')
for (const [name, ns] of Object.entries(results)) {
  console.log(`${name.padEnd(38)} ${ns.toFixed(1).padStart(9)} ns   ${(ns / plain).toFixed(1).padStart(8)} x plain call`)
}
console.log('')
const ratio = (a, b) => (results[a] / results[b]).toFixed(1)
console.log(`crm.now() vs new Date().toISOString():           ${ratio('crm.now()', 'JS: new Date().toISOString()')} x`)
console.log(
  `crm.get() vs Map lookup + copy:                   ${ratio("crm.get(actor, 'lead', id)", 'JS: Map lookup + copy of the record')} x`,
)
if (sink === 0) console.log('(nothing measured)')
