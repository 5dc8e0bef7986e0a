// The life of one customer, from a web enquiry to a closed service ticket:
// the story of examples/quickstart.rs, through the Node.js binding.
//
// Build the binding, then run it from the repository root:
//   (cd crm-node && npm ci && npx napi build --platform)
//   node examples/quickstart.mjs

import { Crm } from '../crm-node/index.js'

// The host provides the clock and the ids; a fixed clock makes the story repeatable.
const crm = new Crm({ now: '2026-03-02T09:00:00Z', seed: 2026 })

// Who works here.
const admin = { user: 'admin', roles: ['admin'] }
crm.saveTeam(admin, { id: 'sales-north', name: 'Sales North', region: 'north', supervisor: 'sue' })
crm.saveTeam(admin, { id: 'service', name: 'Service', supervisor: 'sue' })
for (const [id, name, team, role] of [
  ['sue', 'Sue', 'sales-north', 'supervisor'],
  ['ana', 'Ana', 'sales-north', 'sales'],
  ['sam', 'Sam', 'service', 'support'],
]) {
  crm.saveUser(admin, { id, name, team, roles: [role] })
}
const sue = { user: 'sue', roles: ['supervisor'], team: 'sales-north' }
const ana = { user: 'ana', roles: ['sales'], team: 'sales-north' }
const sam = { user: 'sam', roles: ['support'], team: 'service' }

const short = (id) => id.slice(0, 8)

// 1. A lead arrives from the web form and lands in the team's pool.
let lead = crm.createLead(sue, {
  source: 'web_form',
  company: 'Nordwind Logistics',
  contactName: 'Jo Berger',
  email: 'jo.berger@nordwind.example',
  phone: '+49 40 555 0101',
  region: 'north',
  productLine: 'fleet telematics',
  team: 'sales-north',
})
console.log(`${crm.now()}  lead ${short(lead.id)} arrives from the web form, in the pool of ${lead.team}`)

// 2. Sue assigns it to Ana: the first contact is now due within 24 hours.
lead = crm.assignLead(sue, lead.id, ana.user)
console.log(`${crm.now()}  Sue assigns it to Ana; first contact due ${lead.firstContactDueAt}`)

// 3. Ana calls two hours later: the lead is contacted, a follow-up is set.
crm.advanceClock({ hours: 2 })
crm.logActivity(ana, {
  subject: { kind: 'lead', id: lead.id },
  kind: 'call',
  summary: 'Needs tracking for 40 trucks',
})
lead = crm.get(ana, 'lead', lead.id).lead
console.log(`${crm.now()}  Ana calls: lead is ${lead.status}, next follow-up ${lead.nextFollowUpAt}`)

// 4. Qualified and converted: a customer, a contact and a deal, in one commit.
crm.advanceClock({ days: 1 })
crm.qualifyLead(ana, lead.id)
const conversion = crm.convertLead(ana, lead.id, {
  expectedAmount: { amount: '48000.00', currency: 'EUR' },
})
const dealId = conversion.opportunity
const customer = crm.get(ana, 'customer', conversion.customer).customer
let deal = crm.get(ana, 'opportunity', dealId).opportunity
console.log(`${crm.now()}  Ana qualifies and converts it: customer "${customer.name}", deal "${deal.name}"`)

// 5. An illegal move is a typed error, not a silent no-op.
try {
  crm.qualifyLead(ana, lead.id)
} catch (err) {
  console.log(`${crm.now()}  (qualifying it again is refused: ${err.message} [${err.code}])`)
}

// 6. The deal moves through the pipeline and is won: a draft contract appears.
crm.advanceClock({ days: 3 })
deal = crm.advanceOpportunity(ana, dealId)
console.log(`${crm.now()}  deal enters ${deal.stage} (${deal.probability} %)`)
crm.advanceClock({ days: 5 })
deal = crm.advanceOpportunity(ana, dealId)
console.log(`${crm.now()}  deal enters ${deal.stage} (${deal.probability} %)`)
crm.advanceClock({ days: 4 })
const won = crm.winOpportunity(ana, dealId)
let contract = won.contract
console.log(
  `${crm.now()}  deal is ${won.opportunity.stage}: contract ${contract.number} drafted for ` +
    `${contract.amount.amount} ${contract.amount.currency}`,
)
crm.signContract(sue, contract.id)
contract = crm.activateContract(sue, contract.id)
console.log(`${crm.now()}  Sue signs the contract; it is ${contract.status}`)

// 7. After the sale: a ticket is opened, worked and closed.
crm.advanceClock({ days: 30 })
let ticket = crm.openTicket(sam, {
  subject: 'Two trucks show no position',
  customer: conversion.customer,
  category: 'repair',
})
crm.assignTicket(sam, ticket.id, sam.user)
crm.startTicket(sam, ticket.id)
crm.advanceClock({ hours: 3 })
crm.resolveTicket(sam, ticket.id, 'Re-paired the trackers')
ticket = crm.closeTicket(sam, ticket.id)
console.log(`${crm.now()}  ticket "${ticket.subject}" is ${ticket.status}`)

// 8. The host drains the outbox: what it must send, exactly once.
const messages = crm.takeOutbox(100)
for (const message of messages) {
  console.log(
    `outbox: ${message.topic} for ${message.recipient ?? '-'} about ${message.record.kind} ${message.record.id}`,
  )
}
crm.ackOutbox(messages.map((message) => message.id))

// 9. Every change left an event: the customer's story, record by record.
console.log('\nHistory')
const records = [
  ['lead', lead.id],
  ['customer', conversion.customer],
  ['opportunity', dealId],
  ['contract', contract.id],
  ['ticket', ticket.id],
]
for (const [kind, id] of records) {
  for (const event of crm.history(admin, kind, id)) {
    let states = ''
    if (event.from !== null && event.to !== null && event.from !== event.to) {
      states = ` ${event.from} -> ${event.to}`
    } else if (event.from === null && event.to !== null) {
      states = ` -> ${event.to}`
    }
    const reason = event.reason === null ? '' : ` (${event.reason})`
    console.log(
      `  #${String(event.seq).padEnd(3)} ${event.at}  ${kind.padEnd(11)} ${event.action.padEnd(12)} ` +
        `by ${event.actor.padEnd(5)}${states}${reason}`,
    )
  }
}
