// The Node quickstart (examples/quickstart.mjs) runs and tells the whole story,
// as the Rust one (examples/quickstart.rs) does.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const quickstart = fileURLToPath(new URL('../../examples/quickstart.mjs', import.meta.url))

test('examples/quickstart.mjs tells the story from web lead to closed ticket', () => {
  const output = execFileSync(process.execPath, [quickstart], { encoding: 'utf8' })
  const expected = [
    '2026-03-02T09:00:00Z  lead 019cadc6 arrives from the web form, in the pool of sales-north',
    '2026-03-02T09:00:00Z  Sue assigns it to Ana; first contact due 2026-03-03T09:00:00Z',
    '2026-03-02T11:00:00Z  Ana calls: lead is contacted, next follow-up 2026-03-05T11:00:00Z',
    'Ana qualifies and converts it: customer "Nordwind Logistics", deal "Nordwind Logistics – fleet telematics"',
    '(qualifying it again is refused: cannot qualify lead 019cadc6-',
    '[invalid_transition])',
    '2026-03-15T11:00:00Z  deal is won: contract C-000001 drafted for 48000.00 EUR',
    'Sue signs the contract; it is active',
    '2026-04-14T14:00:00Z  ticket "Two trucks show no position" is closed',
    'outbox: send_quote_template for ana about opportunity ',
    'outbox: notify for sam about ticket ',
    '\nHistory\n',
    '  #6   2026-03-02T09:00:00Z  lead        create       by sue   -> new',
    '  #19  2026-03-15T11:00:00Z  customer    onboard      by ana   prospect -> new (first deal won)',
    '  #26  2026-04-14T14:00:00Z  ticket      close        by sam   resolved -> closed',
  ]
  for (const line of expected) {
    assert.ok(output.includes(line), `missing ${JSON.stringify(line)} in:\n${output}`)
  }
})
