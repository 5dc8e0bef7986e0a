// The examples of crm-node/README.md and of the root README run as written,
// with `require('crm')` resolving to this package as it does after
// `npm install ./crm-node`. Each runs in a temporary directory (the file store
// example writes crm.db there); a failed assertion or an unhandled rejection
// exits non-zero and fails the test.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

for (const [name, readmePath, heading] of [
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Example'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Keeping data'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Assignment'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Customer value (RFM)'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Duplicate matching'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '### Duplicates in the store'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Payment terms and quotes'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '### Quotes and payment plans on deals and contracts'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Service desk: working calendars, SLAs, escalation, surveys'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Loyalty: points, levels, care and campaigns'],
  ['crm-node/README.md', join(packageDir, 'README.md'), '## Analytics and imports'],
  ['README.md', join(packageDir, '..', 'README.md'), '## In Node.js'],
]) test(`the example of ${name} (${heading.replace(/^#+ /, '')}) runs`, () => {
  const readme = readFileSync(readmePath, 'utf8')
  const example = readme.slice(readme.indexOf(heading)).match(/```js\n([\s\S]*?)```/)
  assert.ok(readme.includes(heading) && example, `${name} has a Node example`)
  const app = mkdtempSync(join(tmpdir(), 'crm-readme-'))
  try {
    mkdirSync(join(app, 'node_modules'))
    symlinkSync(packageDir, join(app, 'node_modules', 'crm'), 'dir')
    writeFileSync(join(app, 'example.cjs'), example[1])
    execFileSync(process.execPath, [join(app, 'example.cjs')], { cwd: app, stdio: 'pipe' })
  } finally {
    rmSync(app, { recursive: true, force: true })
  }
})
