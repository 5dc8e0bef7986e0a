// The generated index.d.ts is complete: every type it names is declared, and
// every export carries TSDoc. (scripts/test-node also checks it did not drift.)

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

import * as crmModule from '../index.js'

const { Crm } = crmModule

const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')

test('index.d.ts names only the JS types it declares', () => {
  // napi-rs writes a wrapper's Rust name (JsShare) where it has not seen the
  // wrapper yet; crm-node/src/lib.rs orders its modules so that it never does.
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const rustNames = [...code.matchAll(/\bJs[A-Z]\w*/g)].map(([name]) => name)
  assert.deepEqual([...new Set(rustNames)], ['JsCrm'], 'only the class alias napi adds')
  const declared = new Set([...code.matchAll(/export (?:declare class|interface|type) (\w+)/g)].map((m) => m[1]))
  for (const name of [
    'Crm', 'Lead', 'Money', 'AnyRecord', 'Event', 'OutboxMessage', 'Share', 'RecordKey',
    'Calendar', 'TicketSla', 'TargetClock', 'Escalated', 'Survey', 'SurveyAnswer', 'TargetState', 'TicketEscalation',
  ]) {
    assert.ok(declared.has(name), `${name} is declared`)
  }
})

test('the service desk types are typed: the enums as unions of their names, the new due-item kinds', () => {
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const body = (name) => code.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? ''
  assert.match(body('Ticket'), /sla: TicketSla \| null/)
  assert.match(body('Ticket'), /survey: Survey \| null/)
  assert.match(body('Ticket'), /warrantyUntil: string \| null/)
  assert.match(body('TicketSla'), /clocks: Array<TargetClock>/)
  assert.match(body('TicketSla'), /escalations: Array<Escalated>/)
  assert.match(body('TargetState'), /status: 'running' \| 'paused' \| 'met' \| 'breached'/)
  assert.match(body('TicketEscalation'), /action: 'notify_assignee' \| 'notify_supervisor' \| 'assign_supervisor'/)
  assert.match(body('Survey'), /feedback: 'inquiry' \| 'suggestion' \| 'complaint' \| 'praise' \| null/)
  assert.match(body('DueItem'), /kind: .*'sla' \| 'escalation' \| 'survey'/)
  assert.match(body('Task'), /assignee: string \| null/)
  assert.match(body('NewTask'), /team\?: string/)
  assert.match(code, /^  constructor\(calendar: string \| Record<string, any>\)$/m)
})

test('every exported item and every method has TSDoc', () => {
  const lines = dts.split('\n')
  lines.forEach((line, at) => {
    const exported = /^export (declare class|declare function|interface) /.test(line)
    const member = /^  (static )?(\w+)(\?)?[(:]/.test(line) || /^  constructor\(/.test(line)
    if (exported || member) {
      assert.match(lines[at - 1], /\*\/$/, `no TSDoc before line ${at + 1}: ${line}`)
    }
  })
})

test('every method has an Async twin returning a Promise of a declared type', () => {
  const methods = Object.getOwnPropertyNames(Crm.prototype).filter((name) => name !== 'constructor')
  const sync = methods.filter((name) => !name.endsWith('Async'))
  assert.ok(sync.length > 40, 'the commands are there')
  for (const name of sync) {
    assert.equal(typeof Crm.prototype[`${name}Async`], 'function', `${name}Async`)
  }
  assert.equal(methods.length, 2 * sync.length, 'every Async method has a synchronous twin')
  assert.equal(typeof Crm.open, 'function')
  assert.equal(typeof Crm.openAsync, 'function')

  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const declared = new Set([...code.matchAll(/export (?:declare class|interface|type) (\w+)/g)].map((m) => m[1]))
  const builtIn = new Set(['string', 'number', 'void'])
  for (const name of [...methods, 'openAsync']) {
    if (!name.endsWith('Async')) continue
    const declaration = code.match(new RegExp(`^  (?:static )?${name}\\(.*\\): (.*)$`, 'm'))
    assert.ok(declaration, `${name} is declared`)
    const promised = declaration[1].match(/^Promise<(?:Array<(\w+)>|(\w+))>$/)
    assert.ok(promised, `${name} returns a Promise, not ${declaration[1]}`)
    const type = promised[1] ?? promised[2]
    assert.ok(declared.has(type) || builtIn.has(type), `${name}: ${type} is declared`)
  }
})

test('every function of the module has an Async twin returning a Promise of a declared type', () => {
  const functions = Object.keys(crmModule).filter(
    (name) => typeof crmModule[name] === 'function' && !/^[A-Z]/.test(name),
  )
  const sync = functions.filter((name) => !name.endsWith('Async'))
  for (const name of ['scoreRfm', 'scoreRfmColumns']) assert.ok(sync.includes(name), `${name} is exported`)
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const declared = new Set([...code.matchAll(/export (?:declare class|interface|type) (\w+)/g)].map((m) => m[1]))
  const builtIn = new Set(['boolean'])
  for (const name of sync) {
    assert.equal(typeof crmModule[`${name}Async`], 'function', `${name}Async`)
    // A declared type, or an array of one (`splitPayments`), or an array of
    // booleans (`drawHoldout`).
    const [, returned, element, type] =
      code.match(new RegExp(`^export declare function ${name}\\(.*\\): (Array<(\\w+)>|(\\w+))$`, 'm')) ?? []
    assert.ok(declared.has(element ?? type) || builtIn.has(element), `${name} returns a declared type, not ${returned}`)
    const [, promised] = code.match(new RegExp(`^export declare function ${name}Async\\(.*\\): (.*)$`, 'm')) ?? []
    assert.equal(promised, `Promise<${returned}>`, `${name}Async returns a Promise of what ${name} returns`)
  }
  assert.equal(functions.length, 2 * sync.length, 'every Async function has a synchronous twin')
})

test('the loyalty types are typed: points and rates as numbers, money as strings, the new kinds', () => {
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const body = (name) => code.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? ''
  assert.match(body('Customer'), /loyalty: Membership \| null/)
  assert.match(body('Customer'), /careDone: Record<string, string>/)
  assert.match(body('Customer'), /timeZone: string \| null/)
  assert.match(body('NewCustomer'), /timeZone\?: string/)
  assert.match(body('Membership'), /downgrade: PendingDowngrade \| null/)
  assert.match(body('Membership'), /lots: Array<Lot>/)
  assert.match(body('Membership'), /window: Array<WindowItem>/)
  assert.match(body('PointsEntry'), /kind: 'earn' \| 'bonus' \| 'redeem' \| 'expire' \| 'adjust' \| 'reverse'/)
  assert.match(body('PointsEntry'), /amount: Money \| null/)
  assert.match(body('PointsEntry'), /lots: Array<LotUse>/)
  assert.match(body('PointsPosting'), /earning: Earning \| null/)
  assert.match(body('PointsPosting'), /levelChange: LevelChange \| null/)
  assert.match(body('Earning'), /base: string/)
  assert.match(body('LoyaltyReview'), /levelChanges: Array<MemberLevelChange>/)
  assert.match(body('Campaign'), /members: Array<CampaignMember>/)
  assert.match(body('Campaign'), /holdoutPercent: string/)
  assert.match(body('CampaignInput'), /seed: number/)
  assert.match(body('CampaignMeasure'), /rateLiftCi95: \[number, number\] \| null$/m)
  assert.match(body('CampaignMeasure'), /revenueLift: string/)
  assert.match(body('GroupMeasure'), /repurchaseRate: number/)
  assert.match(body('GroupMeasure'), /revenuePerCustomer: string/)
  assert.match(body('MemberOutcome'), /revenue: string/)
  assert.match(body('PurchaseInput'), /lines\?: Array<PurchaseLine>/)
  assert.match(body('PurchaseLine'), /amount: string/)
  assert.match(body('DueItem'), /kind: .*'survey' \| 'care'/)
  assert.match(body('DueItem'), /care: CareDue \| null/)
  assert.match(body('AnyRecord'), /entity: .*'points_entry' \| 'campaign'/)
  assert.match(body('AnyRecord'), /points_entry\?: PointsEntry/)
  assert.match(body('AnyRecord'), /campaign\?: Campaign/)
  assert.match(body('RecordKey'), /kind: .*'points_entry' \| 'campaign'/)
})

test('the analytics and import types are typed: money as strings, rows keyed by column, the callback', () => {
  const code = dts.replace(/\/\*\*[\s\S]*?\*\//g, '')
  const body = (name) => code.match(new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`))?.[1] ?? ''
  assert.match(body('Table'), /columns: Array<TableColumn>/)
  assert.match(body('Table'), /rows: Array<Record<string, string \| number \| boolean \| null>>/)
  assert.match(body('TableColumn'), /kind: 'text' \| 'integer' \| 'float' \| 'decimal' \| 'time' \| 'date' \| 'bool'/)
  assert.match(body('MetricQuery'), /metric: 'lead_conversion' \| .*'targets' \| 'clv'/)
  assert.match(body('MetricQuery'), /from\?: string \| Date/)
  assert.match(body('MetricQuery'), /scope\?: 'all' \| \{ user: string \} \| \{ team: string \} \| \{ region: string \}/)
  assert.match(body('MetricQuery'), /costs\?: Array<ChannelCost>/)
  assert.match(body('MetricQuery'), /targets\?: Array<SalesTarget>/)
  assert.match(body('ChannelCost'), /amount: Money/)
  assert.match(body('SalesTarget'), /amount\?: Money/)
  assert.match(body('ClvReport'), /bgNbd: BgNbd \| null/)
  assert.match(body('ClvReport'), /rows: Array<ClvRow>/)
  assert.match(body('ClvRow'), /historic: string/)
  assert.match(body('ClvRow'), /clv: string \| null/)
  assert.match(body('ClvRow'), /pAlive: number \| null/)
  assert.match(body('ClvModel'), /customers: Array<ClvPrediction>/)
  assert.match(body('ClvPrediction'), /expectedValue: string/)
  assert.match(body('ClvPrediction'), /pAlive: number/)
  assert.match(body('BgNbd'), /alpha: number/)
  assert.match(body('ImportReport'), /rejected: Array<RejectedRow>/)
  assert.match(body('RejectedRow'), /field: string \| null/)
  assert.match(body('ImportSpec'), /kind: 'customer' \| 'contact' \| 'lead' \| 'purchase'/)
  assert.match(body('ImportSpec'), /mapping\?: Record<string, string>/)
  assert.match(body('NewLead'), /campaign\?: string/)
  assert.match(body('Lead'), /campaign: string \| null/)
  assert.match(
    code,
    /^  importRows\(actor: Actor, spec: ImportSpec, source: string \| Buffer \| Uint8Array, progress\?: \(progress: ImportProgress\) => boolean \| void\): ImportReport$/m,
  )
  assert.match(code, /^  importRowsAsync\(actor: Actor, spec: ImportSpec, source: string \| Buffer \| Uint8Array\): Promise<ImportReport>$/m)
  assert.match(code, /^export declare function fitClv\(purchases: Array<Purchase>, asOf: string \| Date, options\?: ClvOptions \| undefined \| null\): ClvModel$/m)
})
