// The service desk through the Node API: working calendars (`new Calendar`),
// tickets routed on opening with SLA clocks, escalation, a pause while the
// customer answers, surveys with follow-up tasks, scope flags, department
// tasks and the desk's due work, with the Async twins. Times are RFC 3339
// strings (or `Date`s) in and RFC 3339 strings out; bad input is a typed
// error naming the field. The rules are tested in Rust and by the shared
// vectors tests/vectors/service_sla.json and calendar.json; these tests prove
// the binding.

import { test } from 'node:test'
import assert from 'node:assert/strict'

import { Calendar, Crm } from '../index.js'

const root = { user: 'root', roles: ['admin'] }
const sue = { user: 'sue', roles: ['supervisor'], team: 'service' }
const tom = { user: 'tom', roles: ['support'], team: 'service' }

const office = {
  time_zone: 'Europe/Berlin',
  hours: { 'mon-fri': [['09:00', '12:00'], ['13:00', '17:00']] },
  holidays: ['2026-04-03'],
}

const config = {
  assignment: {
    rules: [
      {
        name: 'repairs',
        applies_to: ['ticket'],
        when: { field: 'category', eq: 'repair' },
        users: ['tom'],
        strategy: 'round_robin',
      },
    ],
  },
  sla: {
    calendars: { office },
    policies: [
      { name: 'standard', calendar: 'office', first_response_minutes: 240, resolution_minutes: 2400 },
      { name: 'urgent', priority: 'urgent', calendar: 'office', first_response_minutes: 30, resolution_minutes: 240 },
    ],
    escalation: [
      { at_percent: 80, action: 'notify_assignee' },
      { at_percent: 100, action: 'assign_supervisor' },
    ],
    survey: { after_hours: 168 },
  },
}

/** A validation error naming `field`. */
const invalid = (field) => (err) => {
  assert.ok(err instanceof Error, 'an Error')
  assert.equal(err.code, 'validation', err.message)
  assert.deepEqual(err.fields, [field], err.message)
  return true
}

/** A desk on Monday 2 March 2026, 07:00 in Berlin (before work): sue supervises tom. */
function desk() {
  const crm = new Crm({ now: '2026-03-02T06:00:00Z', seed: 12, config })
  crm.saveTeam(root, { id: 'service', name: 'Service', supervisor: 'sue' })
  crm.saveUser(root, { id: 'tom', name: 'Tom', team: 'service', roles: ['support'] })
  return crm
}

/** The urgent repair of the shared vector: routed to tom at once. */
const leak = (crm) =>
  crm.openTicket(tom, { subject: 'Press 4 leaks oil', priority: 'urgent', category: 'repair', channel: 'phone' })

test('a calendar adds and measures working time across a daylight-saving change and a holiday', () => {
  const berlin = new Calendar(office)
  // Friday 27 March 16:00 in Berlin (CET) + 2 working hours: one on Friday,
  // one on Monday 30 March from 09:00, by then summer time (UTC+2).
  assert.equal(berlin.add('2026-03-27T15:00:00Z', 120), '2026-03-30T08:00:00Z')
  assert.equal(berlin.betweenMinutes('2026-03-27T15:00:00Z', '2026-03-30T08:00:00Z'), 120)
  // Thursday 2 April 16:00 + 2 hours: Good Friday is a holiday, so Monday.
  assert.equal(berlin.add('2026-04-02T14:00:00Z', 120), '2026-04-06T08:00:00Z')
  assert.equal(berlin.betweenMinutes('2026-04-02T07:00:00Z', '2026-04-07T07:00:00Z'), 2 * 7 * 60)
  // Backwards is negative; a lunch break is not working time.
  assert.equal(berlin.betweenMinutes('2026-03-30T08:00:00Z', '2026-03-27T15:00:00Z'), -120)
  assert.equal(berlin.isWorking('2026-03-30T07:30:00Z'), true)
  assert.equal(berlin.isWorking('2026-03-30T10:30:00Z'), false, 'the lunch break')
  assert.equal(berlin.isWorking('2026-04-03T08:00:00Z'), false, 'Good Friday')
  // `Date`s in, RFC 3339 strings out; 0 minutes is the start itself.
  assert.equal(berlin.add(new Date('2026-03-27T15:00:00Z'), 120), '2026-03-30T08:00:00Z')
  assert.equal(berlin.isWorking(new Date('2026-03-30T07:30:00Z')), true)
  assert.equal(berlin.add('2026-03-28T10:00:00Z', 0), '2026-03-28T10:00:00Z')

  // Around the clock in London: the day clocks go forward holds 23 hours.
  const london = new Calendar('{"time_zone": "Europe/London", "hours": {"mon-sun": [["00:00", "24:00"]]}}')
  assert.equal(london.betweenMinutes('2026-03-29T00:00:00Z', '2026-03-29T23:00:00Z'), 23 * 60)

  // toJSON: the core's JSON, one key per weekday, read back as the same calendar.
  const json = berlin.toJSON()
  assert.equal(json.time_zone, 'Europe/Berlin')
  assert.deepEqual(json.hours.mon, [['09:00', '12:00'], ['13:00', '17:00']])
  assert.equal(json.hours.sat, undefined)
  assert.deepEqual(json.holidays, ['2026-04-03'])
  const again = new Calendar(JSON.parse(JSON.stringify(berlin)))
  assert.deepEqual(again.toJSON(), json)
  assert.equal(again.add('2026-04-02T14:00:00Z', 120), '2026-04-06T08:00:00Z')
})

test('a bad calendar or a bad argument is a validation error naming the field', () => {
  assert.throws(() => new Calendar({ time_zone: 'Mars/Olympus', hours: { mon: [['09:00', '17:00']] } }), invalid('time_zone'))
  assert.throws(() => new Calendar({ time_zone: 'UTC', hours: { mon: [['12:00', '09:00']] } }), invalid('hours.mon[0]'))
  assert.throws(() => new Calendar({ time_zone: 'UTC', hours: {} }), invalid('hours'))
  assert.throws(() => new Calendar({ time_zone: 'UTC', hours: { mon: [['09:00', '17:00']] }, extra: 1 }), invalid('calendar'))
  assert.throws(() => new Calendar('not json'), invalid('calendar'))
  assert.throws(() => new Calendar(42), invalid('calendar'))
  assert.throws(() => new Calendar(), invalid('calendar'))
  const utc = new Calendar({ time_zone: 'UTC', hours: { mon: [['09:00', '17:00']] } })
  assert.throws(() => utc.add('2026-03-02T06:00:00Z', -5), invalid('minutes'))
  assert.throws(() => utc.add('2026-03-02T06:00:00Z', 1.5), invalid('minutes'))
  assert.throws(() => utc.add('yesterday', 5), invalid('start'))
  assert.throws(() => utc.betweenMinutes('2026-03-02T06:00:00Z', 'soon'), invalid('to'))
  assert.throws(() => utc.isWorking(7), invalid('at'))
})

test('an urgent repair is routed on opening, its clocks typed, and escalated to the supervisor', () => {
  const crm = desk()
  const ticket = leak(crm)
  assert.equal(ticket.status, 'assigned')
  assert.equal(ticket.assignee, 'tom')
  assert.equal(ticket.outOfScope, null)
  assert.equal(ticket.contract, null)
  assert.equal(ticket.survey, null)
  const { sla } = ticket
  assert.equal(sla.policy, 'urgent')
  assert.equal(sla.calendar, 'office')
  assert.equal(sla.pausedSince, null)
  assert.deepEqual(sla.escalations, [])
  assert.equal(sla.nextCheckAt, '2026-03-02T08:24:00Z', '80 % of 30 working minutes from 09:00 in Berlin')
  assert.deepEqual(sla.clocks[0], {
    target: 'first_response',
    minutes: 30,
    startedAt: '2026-03-02T06:00:00Z',
    pausedSeconds: 0,
    dueAt: '2026-03-02T08:30:00Z',
    stoppedAt: null,
    consumedSeconds: 0,
    met: null,
  })
  assert.equal(sla.clocks[1].target, 'resolution')
  assert.equal(sla.clocks[1].dueAt, '2026-03-02T13:00:00Z', 'the lunch break does not count')

  // The desk's due work: the SLA targets, then the escalation step once due.
  const [work] = crm.dueWork(root, '2026-03-02T08:00:00Z')
  assert.equal(work.user, 'tom')
  assert.deepEqual(work.items.map((item) => item.kind), ['sla', 'sla'])
  assert.equal(work.items[0].title, 'Press 4 leaks oil: first_response')
  const kinds = crm.dueWork(root, '2026-03-02T08:25:00Z').flatMap((w) => w.items.map((item) => item.kind))
  assert.ok(kinds.includes('escalation'), kinds.join())

  assert.deepEqual(crm.ticketSla(root, ticket.id, '2026-03-02T08:20:00Z'), [
    { target: 'first_response', status: 'running', consumedMinutes: 20, remainingMinutes: 10, dueAt: '2026-03-02T08:30:00Z' },
    { target: 'resolution', status: 'running', consumedMinutes: 20, remainingMinutes: 220, dueAt: '2026-03-02T13:00:00Z' },
  ])

  assert.deepEqual(crm.escalate(sue, new Date('2026-03-02T08:25:00Z')), [
    { ticket: ticket.id, target: 'first_response', atPercent: 80, action: 'notify_assignee', to: 'tom' },
  ])
  assert.deepEqual(crm.escalate(sue, '2026-03-02T08:26:00Z'), [], 'each step once')
  const [breach] = crm.escalate(sue, '2026-03-02T08:31:00Z')
  assert.equal(breach.action, 'assign_supervisor')
  assert.equal(breach.to, 'sue')

  const after = crm.get(root, 'ticket', ticket.id).ticket
  assert.equal(after.assignee, 'sue')
  assert.deepEqual(
    after.sla.escalations.map(({ target, atPercent, action }) => ({ target, atPercent, action })),
    [
      { target: 'first_response', atPercent: 80, action: 'notify_assignee' },
      { target: 'first_response', atPercent: 100, action: 'assign_supervisor' },
    ],
  )
  assert.equal(after.sla.escalations[1].at, '2026-03-02T06:00:00Z', "recorded at the engine's time")
  const topics = crm.takeOutbox(10).map((m) => [m.topic, m.recipient])
  assert.deepEqual(topics.slice(1), [['sla_escalation', 'tom'], ['sla_escalation', 'sue']])
  assert.throws(() => crm.escalate(sue, 'later'), invalid('now'))
})

test('waiting for the customer pauses the clocks; the reply resumes them', () => {
  const crm = desk()
  const ticket = leak(crm)
  crm.advanceClock({ hours: 2, minutes: 40 })
  const started = crm.startTicket(tom, ticket.id)
  assert.equal(started.sla.clocks[0].met, false, 'the first response came late')
  assert.equal(started.sla.clocks[0].consumedSeconds, 2400)
  crm.advanceClock({ minutes: 20 })
  const waiting = crm.awaitCustomer(tom, ticket.id)
  assert.equal(waiting.sla.pausedSince, '2026-03-02T09:00:00Z')
  assert.equal(waiting.sla.clocks[1].dueAt, null)
  assert.equal(waiting.sla.nextCheckAt, null)
  const [response, resolution] = crm.ticketSla(root, ticket.id, '2026-03-03T12:00:00Z')
  assert.equal(response.status, 'breached')
  assert.equal(resolution.status, 'paused')
  assert.equal(resolution.consumedMinutes, 60, 'the pause does not count')
  assert.equal(resolution.dueAt, null)
  crm.advanceClock({ days: 2 })
  const replied = crm.customerReplied(tom, ticket.id)
  assert.equal(replied.sla.pausedSince, null)
  assert.equal(replied.sla.clocks[1].dueAt, '2026-03-04T13:00:00Z')
})

test('a survey a week after closing; a complaint creates a follow-up task; bad answers are refused', () => {
  const crm = desk()
  const ticket = leak(crm)
  crm.startTicket(tom, ticket.id)
  assert.throws(() => crm.answerSurvey(tom, ticket.id, { csat: 5 }), invalid('ticket'), 'not resolved yet')
  crm.resolveTicket(tom, ticket.id, 'new seal')
  const closed = crm.closeTicket(tom, ticket.id)
  assert.deepEqual(closed.survey, {
    dueAt: '2026-03-09T06:00:00Z',
    answeredAt: null,
    csat: null,
    nps: null,
    feedback: null,
    comment: null,
    followUp: null,
  })
  const [work] = crm.dueWork(root, '2026-03-09T06:05:00Z')
  assert.equal(work.user, 'tom')
  assert.deepEqual(work.items.map(({ kind, title, overdue }) => ({ kind, title, overdue })), [
    { kind: 'survey', title: 'Survey: Press 4 leaks oil', overdue: true },
  ])

  assert.throws(() => crm.answerSurvey(tom, ticket.id, { csat: 6 }), invalid('csat'))
  assert.throws(() => crm.answerSurvey(tom, ticket.id, { csat: 2.5 }), invalid('csat'))
  assert.throws(() => crm.answerSurvey(tom, ticket.id, { csat: -1 }), invalid('csat'))
  assert.throws(() => crm.answerSurvey(tom, ticket.id, { nps: 11 }), invalid('nps'))
  assert.throws(() => crm.answerSurvey(tom, ticket.id, { feedback: 'angry' }), invalid('feedback'))
  assert.throws(() => crm.answerSurvey(tom, ticket.id, {}), invalid('survey'))

  const answered = crm.answerSurvey(tom, ticket.id, {
    csat: 2,
    nps: 3,
    feedback: 'complaint',
    comment: 'It took two days.',
  })
  const { survey } = answered
  assert.equal(survey.answeredAt, '2026-03-02T06:00:00Z')
  assert.equal(survey.csat, 2)
  assert.equal(survey.nps, 3)
  assert.equal(survey.feedback, 'complaint')
  assert.equal(survey.comment, 'It took two days.')
  assert.equal(typeof survey.followUp, 'string')
  const task = crm.get(root, 'task', survey.followUp).task
  assert.equal(task.assignee, 'sue', "the group's supervisor")
  assert.equal(task.priority, 'important')
  assert.deepEqual(task.related, { kind: 'ticket', id: ticket.id })
  assert.equal(task.description, 'It took two days.')
  assert.throws(() => crm.answerSurvey(tom, ticket.id, { csat: 5 }), invalid('survey'), 'answered once')
})

test('scope flags on opening, and a department task without an assignee', () => {
  const crm = desk()
  const noise = crm.openTicket(tom, { subject: 'Noise from the gearbox', order: 'SO-4711', warrantyUntil: '2026-02-28' })
  assert.equal(noise.status, 'new', 'no rule routes it')
  assert.equal(noise.assignee, null)
  assert.equal(noise.order, 'SO-4711')
  assert.equal(noise.warrantyUntil, '2026-02-28')
  assert.equal(noise.outOfScope, 'the warranty ended on 2026-02-28')
  assert.equal(noise.sla.policy, 'standard')
  const covered = crm.openTicket(tom, { subject: 'Loose belt', warrantyUntil: '2027-02-28' })
  assert.equal(covered.outOfScope, null)
  assert.throws(() => crm.openTicket(tom, { subject: 'x', warrantyUntil: '28.02.2026' }), invalid('warranty_until'))

  // A ticket about a contract not in force yet (a draft).
  const customer = crm.createCustomer(root, { name: 'Acme', owner: 'sue' })
  const deal = crm.createOpportunity(root, {
    customer: customer.id,
    name: 'Press',
    owner: 'sue',
    expectedAmount: { amount: '12000.00', currency: 'EUR' },
  })
  crm.advanceOpportunity(root, deal.id)
  const { contract } = crm.winOpportunity(root, deal.id)
  const about = crm.openTicket(tom, { subject: 'Press manual', customer: customer.id, contract: contract.id })
  assert.equal(about.contract, contract.id)
  assert.equal(about.outOfScope, `contract ${contract.number} is draft`)

  const task = crm.createTask(sue, {
    title: 'Check the spare parts stock',
    team: 'service',
    priority: 'urgent',
    dueAt: '2026-03-04T08:00:00Z',
  })
  assert.equal(task.assignee, null)
  assert.equal(task.team, 'service')
  assert.equal(task.status, 'open')
  const [work] = crm.dueWork(root, '2026-03-04T12:00:00Z').filter((w) => w.user === 'sue')
  const item = work.items.find((i) => i.kind === 'task')
  assert.equal(item.title, 'Check the spare parts stock')
  assert.equal(item.overdue, true)
})

test('without an SLA setup tickets carry no clocks and no survey', () => {
  const crm = new Crm({ now: '2026-03-02T06:00:00Z', seed: 3 })
  crm.saveUser(root, { id: 'ana', name: 'Ana', roles: ['support'] })
  const ticket = crm.openTicket(root, { subject: 'A question' })
  assert.equal(ticket.sla, null)
  assert.deepEqual(crm.ticketSla(root, ticket.id), [])
  assert.deepEqual(crm.escalate(root), [])
  crm.assignTicket(root, ticket.id, 'ana')
  crm.resolveTicket(root, ticket.id, 'answered')
  const closed = crm.closeTicket(root, ticket.id)
  assert.equal(closed.survey, null, 'no survey scheduled')
  // Answers are taken either way.
  const answered = crm.answerSurvey(root, ticket.id, { csat: 5, feedback: 'praise' })
  assert.equal(answered.survey.feedback, 'praise')
  assert.equal(answered.survey.followUp, null)
})

test('the Async twins resolve to what the synchronous methods return, and reject alike', async () => {
  const crm = desk()
  const ticket = await crm.openTicketAsync(tom, {
    subject: 'Press 4 leaks oil',
    priority: 'urgent',
    category: 'repair',
  })
  assert.equal(ticket.sla.policy, 'urgent')
  const targets = await crm.ticketSlaAsync(root, ticket.id, '2026-03-02T08:20:00Z')
  assert.deepEqual(targets, crm.ticketSla(root, ticket.id, '2026-03-02T08:20:00Z'))
  const steps = await crm.escalateAsync(sue, '2026-03-02T08:25:00Z')
  assert.equal(steps[0].action, 'notify_assignee')
  await assert.rejects(crm.ticketSlaAsync(root, 'not-an-id'), (err) => err.code === 'validation')
  await assert.rejects(crm.escalateAsync(sue, 'later'), invalid('now'))
  crm.startTicket(tom, ticket.id)
  crm.resolveTicket(tom, ticket.id, 'new seal')
  await assert.rejects(crm.answerSurveyAsync(tom, ticket.id, { csat: 6 }), invalid('csat'))
  const answered = await crm.answerSurveyAsync(tom, ticket.id, { csat: 5, feedback: 'praise' })
  assert.equal(answered.survey.csat, 5)
  assert.equal(answered.survey.followUp, null, 'a happy customer needs no follow-up')
})
