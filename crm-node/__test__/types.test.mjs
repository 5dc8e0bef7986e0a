// The generated index.d.ts is complete: every type it names is declared, and
// every export carries TSDoc. (scripts/test-node also checks it did not drift.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')

test('index.d.ts names only the JS types it declares', () => {
  // napi-rs writes a wrapper's Rust name (JsShare) where it has not seen the
  // wrapper yet; crm-node/src/lib.rs orders its modules so that it never does.
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const rustNames = [...code.matchAll(/\bJs[A-Z]\w*/g)].map(([name]) => name)
  assert.deepEqual([...new Set(rustNames)], ['JsCrm'], 'only the class alias napi adds')
  const declared = new Set([...code.matchAll(/export (?:declare class|interface|type) (\w+)/g)].map((m) => m[1]))
  for (const name of ['Crm', 'Lead', 'Money', 'AnyRecord', 'Event', 'OutboxMessage', 'Share', 'RecordKey']) {
    assert.ok(declared.has(name), `${name} is declared`)
  }
})

test('every exported item and every method has TSDoc', () => {
  const lines = dts.split('\n')
  lines.forEach((line, at) => {
    const exported = /^export (declare class|interface) /.test(line)
    const member = /^  (\w+)(\?)?[(:]/.test(line) || /^  constructor\(/.test(line)
    if (exported || member) {
      assert.match(lines[at - 1], /\*\/$/, `no TSDoc before line ${at + 1}: ${line}`)
    }
  })
})
