// Quote versions on deals and payment plans on contracts through the Node
// API: addQuote, acceptQuote, setPaymentPlan, recordPayment, reversePayment,
// writeOffInstallment, reachMilestone, reschedulePayments, receivables and
// collected, with their Async twins. Money is decimal strings in and out,
// dates are `YYYY-MM-DD`, and bad input is a typed error naming the field.
// The rules are tested in Rust and by the shared vector
// tests/vectors/contract_payments.json; these tests prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Crm } from '../index.js'

const eur = (amount) => ({ amount, currency: 'EUR' })

const root = { user: 'root', roles: ['admin'] }
const sue = { user: 'sue', roles: ['supervisor'], team: 'east' }
const ana = { user: 'ana', roles: ['sales'], team: 'east' }

const thirty70 = {
  name: '30/70',
  lines: [
    { label: 'on signing', percent: '30', due: { milestone: { event: 'contract_signed', plus_days: 0 } } },
    { label: 'on acceptance', percent: '70', due: { milestone: { event: 'delivery_accepted', plus_days: 30 } } },
  ],
}

const halves = {
  name: 'halves',
  lines: [
    { label: 'first half', percent: '50', due: { months_after_end_of_month: 0 } },
    { label: 'second half', percent: '50', due: { months_after_end_of_month: 1 } },
  ],
}

const priceList = { name: '2026', currency: 'EUR', prices: { seat: '49.90' } }

/** A validation error naming `field`. */
const invalid = (field) => (err) => {
  assert.ok(err instanceof Error, 'an Error')
  assert.equal(err.code, 'validation', err.message)
  assert.deepEqual(err.fields, [field], err.message)
  return true
}

/** A forbidden error for `action`. */
const forbidden = (action) => (err) => {
  assert.equal(err.code, 'forbidden', err.message)
  assert.equal(err.action, action, err.message)
  return true
}

/**
 * An engine with a team, a customer and an open deal owned by ana, expecting
 * `expectedAmount` (none: `undefined`).
 */
function setup(expectedAmount, options = {}) {
  const crm = new Crm({ now: '2026-03-02T09:00:00Z', seed: 8, ...options })
  crm.saveTeam(root, { id: 'east', name: 'Sales East', supervisor: 'sue' })
  const customer = crm.createCustomer(ana, { name: 'Acme', owner: 'ana' })
  const deal = crm.createOpportunity(ana, { customer: customer.id, name: 'Rollout', owner: 'ana', expectedAmount })
  return { crm, customer, deal }
}

/** A won deal's draft contract of 1,000.00 EUR, owned by ana. */
function contractOf1000(options) {
  const { crm, customer, deal } = setup(eur('1000.00'), options)
  crm.advanceOpportunity(ana, deal.id)
  const { contract } = crm.winOpportunity(ana, deal.id)
  assert.deepEqual(contract.amount, eur('1000.00'))
  assert.equal(contract.paymentPlan, null, 'no plan until one is set')
  assert.equal(contract.quoteVersion, null)
  assert.deepEqual(contract.lines, [])
  return { crm, customer, contract }
}

test('a 30/70 plan: signing dates the first line, a partial payment, a bounce, delivery and full payment complete it', () => {
  const { crm, contract } = contractOf1000()
  let c = crm.setPaymentPlan(sue, contract.id, thirty70)
  const plan = c.paymentPlan
  assert.equal(plan.terms, '30/70')
  assert.equal(plan.currency, 'EUR')
  assert.deepEqual(plan.installments[0], {
    number: 1,
    label: 'on signing',
    amount: eur('300.00'),
    dueDate: null,
    milestone: 'contract_signed',
    due: { milestone: { event: 'contract_signed', plus_days: 0 } },
    paid: eur('0.00'),
    writtenOff: null,
    replaced: false,
  })
  assert.deepEqual(plan.installments[1].amount, eur('700.00'))
  assert.deepEqual(plan.payments, [])
  assert.deepEqual(plan.milestones, {})
  assert.deepEqual([plan.total, plan.paid, plan.outstanding, plan.credit], [eur('1000.00'), eur('0.00'), eur('1000.00'), eur('0.00')])
  assert.equal(plan.isSettled, false)

  crm.advanceClock({ days: 1 })
  c = crm.signContract(sue, contract.id)
  assert.equal(c.paymentPlan.installments[0].dueDate, '2026-03-03', 'signing dates the first line')
  assert.equal(c.paymentPlan.installments[1].dueDate, null)
  assert.deepEqual(c.paymentPlan.milestones, { contract_signed: '2026-03-03' })

  // A partial payment.
  c = crm.recordPayment(sue, contract.id, { id: 'bank-1', amount: eur('100.00') })
  assert.deepEqual(c.paymentPlan.installments[0].paid, eur('100.00'))
  assert.deepEqual(c.paymentPlan.payments[0], {
    id: 'bank-1',
    on: '2026-03-03',
    amount: eur('100.00'),
    allocations: [{ installment: 1, amount: eur('100.00') }],
    credit: eur('0.00'),
    reversed: null,
  })
  assert.deepEqual(c.paymentPlan.outstanding, eur('900.00'))

  // The rest of the first line, then the payment bounces: the line is open again.
  c = crm.recordPayment(sue, contract.id, { id: 'bank-2', amount: eur('200.00'), on: '2026-03-04', to: [1] })
  assert.deepEqual(c.paymentPlan.installments[0].paid, eur('300.00'))
  assert.equal(c.paymentPlan.payments[1].on, '2026-03-04')
  c = crm.reversePayment(sue, contract.id, 'bank-2', 'returned by the bank')
  assert.deepEqual(c.paymentPlan.installments[0].paid, eur('100.00'))
  assert.deepEqual(c.paymentPlan.payments[1].reversed, { on: '2026-03-03', reason: 'returned by the bank' })
  assert.deepEqual(c.paymentPlan.paid, eur('100.00'))

  // Delivery accepted, then everything paid: the contract completes itself.
  c = crm.activateContract(sue, contract.id)
  c = crm.reachMilestone(sue, contract.id, 'delivery_accepted', '2026-03-10')
  assert.equal(c.status, 'active', 'not paid yet')
  assert.equal(c.paymentPlan.installments[1].dueDate, '2026-04-09')
  assert.equal(c.paymentPlan.milestones.delivery_accepted, '2026-03-10')
  c = crm.recordPayment(sue, contract.id, { id: 'bank-3', amount: eur('900.00') })
  assert.equal(c.status, 'completed')
  assert.equal(c.paymentPlan.isSettled, true)
  assert.deepEqual(c.paymentPlan.outstanding, eur('0.00'))
  assert.deepEqual(
    c.paymentPlan.payments[2].allocations,
    [
      { installment: 1, amount: eur('200.00') },
      { installment: 2, amount: eur('700.00') },
    ],
  )
  const actions = crm.history(root, 'contract', contract.id).map((e) => e.action)
  assert.deepEqual(actions.slice(-3), ['milestone', 'payment', 'complete'])
  // The record read back is the same.
  assert.deepEqual(crm.get(ana, 'contract', contract.id).contract, c)
})

test('quote versions: v1, v2, accept v2, and the won contract is v2 with its lines', () => {
  const { crm, deal } = setup()
  let d = crm.addQuote(ana, deal.id, {
    lines: [{ product: 'seat', quantity: '10', taxPercent: '19' }],
    priceList,
    validUntil: '2026-03-31',
  })
  assert.equal(d.quotes.length, 1)
  assert.equal(d.quotes[0].version, 1)
  assert.equal(d.quotes[0].status, 'open')
  assert.equal(d.quotes[0].createdAt, '2026-03-02T09:00:00Z')
  assert.equal(d.quotes[0].validUntil, '2026-03-31')
  assert.equal(d.quotes[0].priceList, '2026')
  assert.equal(d.quotes[0].note, null)
  assert.deepEqual(d.quotes[0].lines, [{ product: 'seat', quantity: '10', taxPercent: '19' }], 'the lines as given')
  assert.deepEqual(d.quotes[0].priced.total, eur('593.81'))

  d = crm.addQuote(ana, deal.id, {
    lines: [{ product: 'seat', description: 'Seats', quantity: '10', discountPercent: '10', taxPercent: '19' }],
    priceList: JSON.stringify(priceList),
    note: '10 % off for the rollout',
  })
  assert.deepEqual(d.quotes.map((q) => [q.version, q.status]), [[1, 'superseded'], [2, 'open']])
  assert.equal(d.quotes[1].note, '10 % off for the rollout')
  assert.equal(d.quotes[1].validUntil, null)
  assert.deepEqual(d.quotes[1].priced.lines[0].net, eur('449.10'))
  assert.deepEqual(d.quotes[1].priced.total, eur('534.43'))
  assert.equal(d.expectedAmount, null, 'not before it is accepted')

  assert.throws(() => crm.acceptQuote(ana, deal.id, 1), invalid('version'), 'a superseded version')
  d = crm.acceptQuote(ana, deal.id, 2)
  assert.deepEqual(d.quotes.map((q) => q.status), ['superseded', 'accepted'])
  assert.deepEqual(d.expectedAmount, eur('534.43'))

  crm.advanceOpportunity(ana, deal.id)
  const { contract } = crm.winOpportunity(ana, deal.id)
  assert.deepEqual(contract.amount, d.quotes[1].priced.total)
  assert.equal(contract.quoteVersion, 2)
  assert.deepEqual(contract.lines, d.quotes[1].priced.lines)
  assert.equal(contract.lines[0].description, 'Seats')
})

test('bad quote input is a validation error naming the field', () => {
  const { crm, deal } = setup()
  const line = { product: 'seat', quantity: '1', unitPrice: '10' }
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [], currency: 'EUR' }), invalid('lines'))
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [line] }), invalid('currency'), 'no currency given or implied')
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [line], currency: 'EUROS' }), invalid('currency'))
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [{ ...line, quantity: 1 }], currency: 'EUR' }), invalid('lines[0].quantity'))
  assert.throws(
    () => crm.addQuote(ana, deal.id, { lines: [{ ...line, tax_percent: '19' }], currency: 'EUR' }),
    invalid('lines[0].tax_percent'),
  )
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [{ product: 'x', quantity: '1' }], priceList }), invalid('lines[0].unit_price'))
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [line], priceList: '[1]' }), invalid('price_list'))
  assert.throws(() => crm.addQuote(ana, deal.id, { lines: [line], currency: 'EUR', validUntil: '31.03.2026' }), invalid('valid_until'))
  assert.throws(() => crm.acceptQuote(ana, deal.id, 1), invalid('version'), 'no such version')
  crm.addQuote(ana, deal.id, { lines: [line], currency: 'EUR' })
  assert.throws(() => crm.acceptQuote(ana, deal.id, 1.5), invalid('version'))
  assert.throws(() => crm.acceptQuote(ana, deal.id, -1), invalid('version'))
  assert.throws(() => crm.acceptQuote(ana, 'nope', 1), (err) => err.code === 'validation')
})

test('payment errors name the field; a sales user may not write off', () => {
  const { crm, contract } = contractOf1000()
  assert.throws(() => crm.setPaymentPlan(ana, contract.id, thirty70), forbidden('edit'), 'sales users do not change contracts')
  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'b', amount: eur('1.00') }), invalid('contract'), 'no plan yet')
  assert.throws(() => crm.setPaymentPlan(sue, contract.id, { name: 'bad', lines: [] }), invalid('terms.lines'))
  assert.throws(() => crm.setPaymentPlan(sue, contract.id, thirty70, '2026-13-01'), invalid('base'))
  crm.setPaymentPlan(sue, contract.id, thirty70)
  crm.signContract(sue, contract.id)
  crm.recordPayment(sue, contract.id, { id: 'bank-1', amount: eur('100.00') })

  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'bank-1', amount: eur('5.00') }), invalid('id'), 'a reused id')
  assert.throws(
    () => crm.recordPayment(sue, contract.id, { id: 'bank-x', amount: { amount: '5.00', currency: 'USD' } }),
    invalid('amount'),
    'another currency',
  )
  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'bank-x', amount: eur('0.00') }), invalid('amount'))
  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'bank-x', amount: eur('1.001') }), invalid('amount'))
  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'bank-x', amount: eur('5.00'), to: [9] }), invalid('installment'))
  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'bank-x', amount: eur('5.00'), to: [1.5] }), invalid('to'))
  assert.throws(() => crm.recordPayment(sue, contract.id, { id: 'bank-x', amount: eur('5.00'), on: 'today' }), invalid('on'))
  assert.throws(() => crm.reversePayment(sue, contract.id, 'bank-9', 'bounced'), invalid('id'))
  assert.throws(() => crm.reversePayment(sue, contract.id, 'bank-1', ' '), invalid('reason'))
  assert.throws(() => crm.reachMilestone(sue, contract.id, 'contract_signed'), invalid('event'), 'reached already')
  assert.throws(() => crm.reschedulePayments(sue, contract.id, halves, '', '2026-04-15'), invalid('reason'), 'a blank reason')
  assert.throws(() => crm.writeOffInstallment(ana, contract.id, 1, 'goodwill'), (err) => err.code === 'forbidden', 'a sales user')
  assert.throws(() => crm.writeOffInstallment(sue, contract.id, 1, ''), invalid('reason'))
  assert.throws(() => crm.writeOffInstallment(sue, contract.id, -1, 'goodwill'), invalid('installment'))
  assert.throws(() => crm.collected(sue, '2026-03-01', 'later'), invalid('until'))
  assert.throws(() => crm.receivables(sue, { today: '2026/04/20' }), invalid('today'))
  // Nothing above changed the plan.
  const plan = crm.get(root, 'contract', contract.id).contract.paymentPlan
  assert.deepEqual(plan.payments.map((p) => p.id), ['bank-1'])
  assert.deepEqual(plan.paid, eur('100.00'))
})

test('only the configured roles write off: a supervisor may edit the contract, but not write off', () => {
  const { crm, contract } = contractOf1000({ config: { write_off_roles: ['admin'] } })
  crm.setPaymentPlan(sue, contract.id, thirty70)
  assert.throws(() => crm.writeOffInstallment(sue, contract.id, 1, 'goodwill'), forbidden('write_off'))
  const c = crm.writeOffInstallment(root, contract.id, 1, 'goodwill')
  assert.deepEqual(c.paymentPlan.installments[0].writtenOff, { on: '2026-03-02', reason: 'goodwill', amount: eur('300.00') })
  assert.deepEqual(c.paymentPlan.outstanding, eur('700.00'))
  assert.deepEqual(c.paymentPlan.total, eur('1000.00'), 'written-off lines stay in the total')
})

test('a reschedule keeps what was paid and numbers the new lines on', () => {
  const { crm, contract } = contractOf1000()
  crm.setPaymentPlan(sue, contract.id, thirty70)
  crm.signContract(sue, contract.id)
  crm.recordPayment(sue, contract.id, { id: 'bank-1', amount: eur('100.00') })
  const c = crm.reschedulePayments(sue, contract.id, JSON.stringify(halves), 'customer asked', '2026-04-15')
  const lines = c.paymentPlan.installments
  assert.equal(c.paymentPlan.terms, 'halves')
  assert.deepEqual(lines.map((l) => [l.number, l.replaced, l.amount.amount, l.dueDate]), [
    [1, true, '100.00', '2026-03-02'],
    [2, true, '0.00', null],
    [3, false, '450.00', '2026-04-30'],
    [4, false, '450.00', '2026-05-31'],
  ])
  assert.deepEqual([c.paymentPlan.total, c.paymentPlan.outstanding], [eur('1000.00'), eur('900.00')])
  const last = crm.history(root, 'contract', contract.id).at(-1)
  assert.equal(last.action, 'reschedule')
  assert.equal(last.reason, 'customer asked')
  assert.equal(last.payload.old_plan.terms, '30/70')
})

test('receivables age what is owed, and collected sums the payments per owner', () => {
  const { crm, customer, contract } = contractOf1000()
  crm.setPaymentPlan(sue, contract.id, thirty70)
  crm.signContract(sue, contract.id)
  crm.reachMilestone(sue, contract.id, 'delivery_accepted', '2026-03-10')
  crm.recordPayment(sue, contract.id, { id: 'bank-1', amount: eur('100.00'), on: '2026-03-05' })
  crm.recordPayment(sue, contract.id, { id: 'bank-2', amount: eur('50.00'), on: '2026-04-02' })
  crm.reversePayment(sue, contract.id, 'bank-2', 'bounced')

  const [receivable, ...rest] = crm.receivables(sue, { today: '2026-04-20' })
  assert.deepEqual(rest, [])
  assert.deepEqual(receivable, {
    contract: contract.id,
    number: contract.number,
    customer: customer.id,
    owner: 'ana',
    total: eur('1000.00'),
    paid: eur('100.00'),
    outstanding: eur('900.00'),
    credit: eur('0.00'),
    aging: {
      current: eur('0.00'),
      days1To30: eur('700.00'), // due 2026-04-09
      days31To60: eur('200.00'), // due 2026-03-02
      days61To90: eur('0.00'),
      days90Plus: eur('0.00'),
    },
  })
  // Today by the engine's clock (2026-03-02, the first line's due day), one
  // customer's contracts.
  const [now] = crm.receivables(sue, { customer: customer.id })
  assert.deepEqual(now.aging.current, eur('900.00'))
  assert.deepEqual(now.aging.days1To30, eur('0.00'))
  assert.deepEqual(crm.receivables(sue), [now])
  const other = crm.createCustomer(ana, { name: 'Other', owner: 'ana' })
  assert.deepEqual(crm.receivables(sue, { customer: other.id }), [])

  assert.deepEqual(crm.collected(sue, '2026-03-01', '2026-05-01'), [{ owner: 'ana', amount: eur('100.00'), payments: 1 }])
  assert.deepEqual(crm.collected(sue, '2026-03-06', '2026-05-01'), [])
})

test('the Async twins resolve to what the synchronous methods return, and reject alike', async () => {
  const { crm, contract } = contractOf1000()
  const withPlan = await crm.setPaymentPlanAsync(sue, contract.id, thirty70, '2026-03-02')
  assert.deepEqual(withPlan, crm.get(sue, 'contract', contract.id).contract)
  await crm.signContractAsync(sue, contract.id)
  const paid = await crm.recordPaymentAsync(sue, contract.id, { id: 'bank-1', amount: eur('300.00') })
  assert.deepEqual(paid.paymentPlan.installments[0].paid, eur('300.00'))
  await assert.rejects(crm.recordPaymentAsync(sue, contract.id, { id: 'bank-1', amount: eur('1.00') }), invalid('id'))
  await assert.rejects(crm.writeOffInstallmentAsync(ana, contract.id, 2, 'goodwill'), (err) => err.code === 'forbidden')
  await assert.rejects(crm.reschedulePaymentsAsync(sue, contract.id, halves, ''), invalid('reason'))
  const reversed = await crm.reversePaymentAsync(sue, contract.id, 'bank-1', 'bounced')
  assert.deepEqual(reversed.paymentPlan.paid, eur('0.00'))
  const reached = await crm.reachMilestoneAsync(sue, contract.id, 'delivery_accepted', '2026-03-10')
  assert.equal(reached.paymentPlan.installments[1].dueDate, '2026-04-09')
  const written = await crm.writeOffInstallmentAsync(sue, contract.id, 1, 'goodwill')
  assert.deepEqual(written.paymentPlan.installments[0].writtenOff.amount, eur('300.00'))
  const rescheduled = await crm.reschedulePaymentsAsync(sue, contract.id, halves, 'customer asked', '2026-04-15')
  assert.equal(rescheduled.paymentPlan.terms, 'halves')
  assert.deepEqual(await crm.receivablesAsync(sue, { today: '2026-04-20' }), crm.receivables(sue, { today: '2026-04-20' }))
  assert.deepEqual(await crm.collectedAsync(sue, '2026-03-01', '2026-05-01'), [])

  const { crm: deals, deal } = setup()
  const quoted = await deals.addQuoteAsync(ana, deal.id, { lines: [{ product: 'seat', quantity: '2' }], priceList })
  assert.deepEqual(quoted.quotes[0].priced.total, eur('99.80'))
  await assert.rejects(deals.acceptQuoteAsync(ana, deal.id, 2), invalid('version'))
  const accepted = await deals.acceptQuoteAsync(ana, deal.id, 1)
  assert.deepEqual(accepted.expectedAmount, eur('99.80'))
})
