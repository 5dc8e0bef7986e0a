// The example of crm-node/README.md runs as written, with `require('crm')`
// resolving to this package as it does after `npm install ./crm-node`.

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
  ['README.md', join(packageDir, '..', 'README.md'), '## In Node.js'],
]) test(`the example of ${name} runs`, () => {
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
