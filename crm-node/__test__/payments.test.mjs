// Payment terms and quotes through the Node API: splitPayments and priceQuote,
// with their Async twins. Money is decimal strings in and out, dates are
// `YYYY-MM-DD`, and bad input is a validation error naming the field. The
// rules themselves are tested in Rust and by the shared vector
// tests/vectors/payments.json; these tests prove the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { priceQuote, priceQuoteAsync, splitPayments, splitPaymentsAsync } from '../index.js'

const eur = (amount) => ({ amount, currency: 'EUR' })

const thirty70 = {
  name: '30/70 on acceptance',
  lines: [
    { label: 'down payment', percent: '30', due: { days_after: 0 } },
    { label: 'on acceptance', percent: '70', due: { milestone: { event: 'delivery_accepted', plus_days: 30 } } },
  ],
}

const thirds = {
  name: 'thirds',
  lines: [
    { label: '1/3', percent: '33.33', due: { days_after: 0 } },
    { label: '2/3', percent: '33.33', due: { days_after: 30 } },
    { label: '3/3', percent: '33.34', due: { days_after: 60 } },
  ],
}

/** A validation error naming `field`. */
const invalid = (field) => (err) => {
  assert.ok(err instanceof Error, 'an Error')
  assert.equal(err.code, 'validation', err.message)
  assert.deepEqual(err.fields, [field], err.message)
  return true
}

/** Adds decimal strings exactly, as BigInt minor units of `places` decimals. */
const sum = (amounts, places) => {
  const units = amounts.reduce((total, amount) => {
    const [whole, fraction = ''] = amount.split('.')
    return total + BigInt(whole + fraction.padEnd(places, '0'))
  }, 0n)
  const text = units.toString().padStart(places + 1, '0')
  return places === 0 ? text : `${text.slice(0, -places)}.${text.slice(-places)}`
}

test('30/70: a down payment now and the rest on a milestone', () => {
  const plan = splitPayments(eur('1000.00'), thirty70, '2026-01-15')
  assert.deepEqual(plan, [
    {
      label: 'down payment',
      amount: eur('300.00'),
      dueDate: '2026-01-15',
      milestone: null,
      due: { days_after: 0 },
    },
    {
      label: 'on acceptance',
      amount: eur('700.00'),
      dueDate: null,
      milestone: 'delivery_accepted',
      due: { milestone: { event: 'delivery_accepted', plus_days: 30 } },
    },
  ])
})

test('5.47 in thirds sums to exactly 5.47, the remainder on the last line', () => {
  const plan = splitPayments(eur('5.47'), thirds, '2026-01-15')
  const amounts = plan.map((installment) => installment.amount.amount)
  assert.deepEqual(amounts, ['1.82', '1.82', '1.83'])
  for (const amount of amounts) assert.equal(typeof amount, 'string', 'amounts are strings, never numbers')
  assert.equal(sum(amounts, 2), '5.47')
  assert.deepEqual(
    plan.map((installment) => installment.dueDate),
    ['2026-01-15', '2026-02-14', '2026-03-16'],
  )
})

test('the template as a JSON string, and every total of cents in thirds sums exactly', () => {
  const json = JSON.stringify(thirds)
  for (let cents = 0; cents <= 1000; cents += 37) {
    const total = (cents / 100).toFixed(2)
    const plan = splitPayments(eur(total), json)
    assert.equal(sum(plan.map((i) => i.amount.amount), 2), total, `${total} in thirds`)
    assert.ok(plan.every((i) => i.dueDate === null), 'no dates without a base')
  }
})

test('a JPY total splits into whole yen', () => {
  const plan = splitPayments({ amount: '1000', currency: 'JPY' }, thirds)
  assert.deepEqual(
    plan.map((i) => i.amount),
    [
      { amount: '333', currency: 'JPY' },
      { amount: '333', currency: 'JPY' },
      { amount: '334', currency: 'JPY' },
    ],
  )
  assert.deepEqual(plan.map((i) => i.dueDate), [null, null, null])
})

test('the due-date modes count from the base date', () => {
  const plan = splitPayments(
    eur('100.00'),
    {
      name: 'modes',
      lines: [
        { label: 'fee', fixed: '10.00', due: { end_of_month: { plus_days: 10 } } },
        { label: 'a', percent: '50', due: { months_after_end_of_month: 1 } },
        { label: 'b', percent: '50', due: { day_of_next_month: { day: 31, after_days: 0 } } },
      ],
    },
    '2026-01-15',
  )
  assert.deepEqual(
    plan.map((i) => [i.amount.amount, i.dueDate]),
    [
      ['10.00', '2026-02-10'],
      ['45.00', '2026-02-28'],
      ['45.00', '2026-02-28'],
    ],
  )
})

test('a bad template is a validation error naming its path', () => {
  const bad = { name: 'bad', lines: [{ label: 'a', percent: '99.9999', due: { days_after: 0 } }] }
  assert.throws(() => splitPayments(eur('100.00'), bad), invalid('terms.lines'))
  assert.throws(
    () =>
      splitPayments(eur('100.00'), {
        name: 'x',
        lines: [
          { label: 'a', percent: '30', due: { days_after: 0 } },
          { label: 'b', percent: '170', due: { days_after: 0 } },
        ],
      }),
    invalid('terms.lines[1].percent'),
  )
  assert.throws(
    () =>
      splitPayments(eur('100.00'), {
        name: 'fee too big',
        lines: [
          { label: 'fee', fixed: '150.00', due: { days_after: 0 } },
          { label: 'rest', percent: '100', due: { days_after: 30 } },
        ],
      }),
    invalid('terms.lines[0].fixed'),
  )
  assert.throws(() => splitPayments(eur('100.00'), { name: 'empty', lines: [] }), invalid('terms.lines'))
  assert.throws(() => splitPayments(eur('100.00'), '{not json'), invalid('terms'))
  assert.throws(() => splitPayments(eur('100.00'), 42), invalid('terms'))
  assert.throws(() => splitPayments(eur('100.00'), null), invalid('terms'))
  assert.throws(() => splitPayments(eur('100.00'), { ...thirds, extra: 1 }), invalid('terms'))
})

test('a bad total or base date is a validation error naming it', () => {
  assert.throws(() => splitPayments(eur('-1.00'), thirds), invalid('total'))
  assert.throws(() => splitPayments(eur('1.001'), thirds), invalid('amount'))
  assert.throws(() => splitPayments({ amount: '1', currency: 'XXQ' }, thirds), invalid('currency'))
  assert.throws(() => splitPayments(eur('1.00'), thirds, '15.01.2026'), invalid('base'))
})

const priceList = { name: '2026', currency: 'EUR', prices: { seat: '49.90', sms: '0.0125' } }

test('a quote with a price list, discounts and per-line tax', () => {
  const quote = priceQuote(
    [
      { product: 'seat', quantity: '3', discountPercent: '10', taxPercent: '19' },
      { product: 'sms', description: 'SMS bundle', quantity: '1000', taxPercent: '19' },
      { product: 'setup', quantity: '1', unitPrice: '99.995', discountAmount: '10.00', taxPercent: '7' },
    ],
    'EUR',
    priceList,
  )
  assert.deepEqual(quote.lines[0], {
    product: 'seat',
    description: null,
    quantity: '3',
    unitPrice: '49.90',
    gross: '149.70',
    discount: eur('14.97'),
    net: eur('134.73'),
    taxPercent: '19',
    tax: eur('25.60'), // 25.5987, rounded per line
    total: eur('160.33'),
  })
  assert.equal(quote.lines[1].description, 'SMS bundle')
  assert.equal(quote.lines[1].unitPrice, '0.0125', 'unit prices finer than a cent')
  assert.deepEqual([quote.lines[1].net, quote.lines[1].tax], [eur('12.50'), eur('2.38')])
  // 99.995 - 10.00 = 89.995 -> 90.00; 7 % of it 6.30.
  assert.deepEqual([quote.lines[2].net, quote.lines[2].tax], [eur('90.00'), eur('6.30')])
  assert.deepEqual(quote.subtotal, eur('237.23'))
  assert.deepEqual(quote.discount, eur('24.97'))
  assert.deepEqual(quote.tax, eur('34.28'))
  assert.deepEqual(quote.total, eur('271.51'))
  assert.equal(sum(quote.lines.map((l) => l.total.amount), 2), quote.total.amount, 'the total is the sum of the lines')
  // The price list as a JSON string gives the same quote.
  const again = priceQuote(
    [{ product: 'seat', quantity: '3', discountPercent: '10', taxPercent: '19' }],
    'EUR',
    JSON.stringify(priceList),
  )
  assert.deepEqual(again.lines[0], quote.lines[0])
})

test('a quote in JPY rounds to whole yen', () => {
  const quote = priceQuote([{ product: 'item', quantity: '3', unitPrice: '333.5', taxPercent: '10' }], 'JPY')
  assert.deepEqual(quote.lines[0].net, { amount: '1001', currency: 'JPY' })
  assert.deepEqual(quote.total, { amount: '1101', currency: 'JPY' })
})

test('bad quote input is a validation error naming the line and field', () => {
  const line = { product: 'x', quantity: '1', unitPrice: '1' }
  assert.throws(() => priceQuote([{ product: 'x', quantity: '1' }], 'EUR'), invalid('lines[0].unit_price'))
  assert.throws(() => priceQuote([{ product: 'x', quantity: '1' }], 'EUR', priceList), invalid('lines[0].unit_price'))
  assert.throws(() => priceQuote([line, { ...line, quantity: '0' }], 'EUR'), invalid('lines[1].quantity'))
  assert.throws(() => priceQuote([{ ...line, quantity: 2 }], 'EUR'), invalid('lines[0].quantity'), 'a number is refused')
  assert.throws(() => priceQuote([{ ...line, unitPrice: 'ten' }], 'EUR'), invalid('lines[0].unit_price'))
  assert.throws(
    () => priceQuote([{ ...line, discountPercent: '5', discountAmount: '0.10' }], 'EUR'),
    invalid('lines[0].discount_percent'),
  )
  assert.throws(() => priceQuote([{ ...line, discountAmount: '2' }], 'EUR'), invalid('lines[0].discount_amount'))
  assert.throws(() => priceQuote([{ ...line, taxPercent: '101' }], 'EUR'), invalid('lines[0].tax_percent'))
  // A snake_case key is not silently ignored.
  assert.throws(
    () => priceQuote([{ ...line, discount_percent: '10' }], 'EUR'),
    (err) => invalid('lines[0].discount_percent')(err) && /camelCase: discountPercent/.test(err.message),
  )
  assert.throws(() => priceQuote([line, 'x'], 'EUR'), invalid('lines[1]'))
  assert.throws(() => priceQuote('x', 'EUR'), invalid('lines'))
  assert.throws(() => priceQuote([line], 'EUROS'), invalid('currency'))
  assert.throws(() => priceQuote([line], 'EUR', { ...priceList, currency: 'USD' }), invalid('price_list'))
  assert.throws(() => priceQuote([line], 'EUR', '[1]'), invalid('price_list'))
  assert.throws(
    () => priceQuote([line], 'EUR', { ...priceList, prices: { x: '-1' } }),
    invalid('price_list.prices.x'),
  )
})

test('the Async twins resolve to what the synchronous functions return, and reject alike', async () => {
  assert.deepEqual(
    await splitPaymentsAsync(eur('5.47'), thirds, '2026-01-15'),
    splitPayments(eur('5.47'), thirds, '2026-01-15'),
  )
  const lines = [{ product: 'seat', quantity: '3', discountPercent: '10', taxPercent: '19' }]
  assert.deepEqual(await priceQuoteAsync(lines, 'EUR', priceList), priceQuote(lines, 'EUR', priceList))
  await assert.rejects(
    splitPaymentsAsync(eur('100.00'), { name: 'bad', lines: [{ label: 'a', percent: '50', due: { days_after: 0 } }] }),
    invalid('terms.lines'),
  )
  await assert.rejects(priceQuoteAsync([{ product: 'x', quantity: '1' }], 'EUR'), invalid('lines[0].unit_price'))
})
