// The life of one customer, from a web enquiry to a closed service ticket:
// the same story as examples/quickstart.rs, through the Kotlin binding.
//
// scripts/test-ffi compiles and runs it; by hand:
//   kotlinc -cp jna.jar crm-ffi/bindings/kotlin/uniffi/crm_ffi/crm_ffi.kt examples/Quickstart.kt \
//       -include-runtime -d quickstart.jar
//   java -Djna.library.path=target/debug -cp quickstart.jar:jna.jar QuickstartKt

import java.time.Instant
import java.time.ZoneOffset
import java.time.format.DateTimeFormatter
import uniffi.crm_ffi.Actor
import uniffi.crm_ffi.AnyRecord
import uniffi.crm_ffi.ConvertLeadOptions
import uniffi.crm_ffi.Crm
import uniffi.crm_ffi.CrmException
import uniffi.crm_ffi.Customer
import uniffi.crm_ffi.Money
import uniffi.crm_ffi.NewActivity
import uniffi.crm_ffi.NewLead
import uniffi.crm_ffi.NewTicket
import uniffi.crm_ffi.Opportunity
import uniffi.crm_ffi.RecordKey
import uniffi.crm_ffi.TeamInput
import uniffi.crm_ffi.UserInput

private val stamp = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC)

private fun Instant.show(): String = stamp.format(this)

fun main() {
    // The host provides the clock and the ids; a fixed clock makes the story repeatable.
    val crm = Crm(now = Instant.parse("2026-03-02T09:00:00Z"), seed = 2026uL)

    // Who works here.
    val admin = Actor(user = "admin", roles = listOf("admin"))
    crm.saveTeam(admin, TeamInput(id = "sales-north", name = "Sales North", region = "north", supervisor = "sue"))
    crm.saveTeam(admin, TeamInput(id = "service", name = "Service", supervisor = "sue"))
    for ((id, name, team, role) in listOf(
        listOf("sue", "Sue", "sales-north", "supervisor"),
        listOf("ana", "Ana", "sales-north", "sales"),
        listOf("sam", "Sam", "service", "support"),
    )) {
        crm.saveUser(admin, UserInput(id = id, name = name, team = team, roles = listOf(role)))
    }
    val sue = Actor(user = "sue", roles = listOf("supervisor"), team = "sales-north")
    val ana = Actor(user = "ana", roles = listOf("sales"), team = "sales-north")
    val sam = Actor(user = "sam", roles = listOf("support"), team = "service")

    // 1. A lead arrives from the web form and lands in the team's pool.
    var lead = crm.createLead(sue, NewLead(
        source = "web_form",
        company = "Nordwind Logistics",
        contactName = "Jo Berger",
        email = "jo.berger@nordwind.example",
        phone = "+49 40 555 0101",
        region = "north",
        productLine = "fleet telematics",
        team = "sales-north",
    ))
    println("${crm.now().show()}  lead ${lead.id.take(8)} arrives from the web form, in the pool of ${lead.team}")

    // 2. Sue assigns it to Ana: the first contact is now due within 24 hours.
    lead = crm.assignLead(sue, lead.id, ana.user)
    println("${crm.now().show()}  Sue assigns it to Ana; first contact due ${lead.firstContactDueAt!!.show()}")

    // 3. Ana calls two hours later: the lead is contacted, a follow-up is set.
    crm.advanceClock(hours = 2)
    crm.logActivity(ana, NewActivity(
        subject = RecordKey(kind = "lead", id = lead.id),
        kind = "call",
        summary = "Needs tracking for 40 trucks",
    ))
    lead = (crm.get(ana, "lead", lead.id) as AnyRecord.Lead).record
    println("${crm.now().show()}  Ana calls: lead is ${lead.status}, next follow-up ${lead.nextFollowUpAt!!.show()}")

    // 4. Qualified and converted: a customer, a contact and a deal, in one commit.
    crm.advanceClock(days = 1)
    crm.qualifyLead(ana, lead.id)
    val conversion = crm.convertLead(ana, lead.id, ConvertLeadOptions(
        expectedAmount = Money(amount = "48000.00", currency = "EUR"),
    ))
    val dealId = conversion.opportunity ?: error("the conversion opened a deal")
    val customer: Customer = (crm.get(ana, "customer", conversion.customer) as AnyRecord.Customer).record
    var deal: Opportunity = (crm.get(ana, "opportunity", dealId) as AnyRecord.Opportunity).record
    println("${crm.now().show()}  Ana qualifies and converts it: customer \"${customer.name}\", deal \"${deal.name}\"")

    // 5. An illegal move is a typed error, not a silent no-op.
    try {
        crm.qualifyLead(ana, lead.id)
    } catch (err: CrmException.InvalidTransition) {
        println("${crm.now().show()}  (qualifying it again is refused: $err)")
    }

    // 6. The deal moves through the pipeline and is won: a draft contract appears.
    crm.advanceClock(days = 3)
    deal = crm.advanceOpportunity(ana, dealId)
    println("${crm.now().show()}  deal enters ${deal.stage} (${deal.probability} %)")
    crm.advanceClock(days = 5)
    deal = crm.advanceOpportunity(ana, dealId)
    println("${crm.now().show()}  deal enters ${deal.stage} (${deal.probability} %)")
    crm.advanceClock(days = 4)
    val win = crm.winOpportunity(ana, dealId)
    var contract = win.contract
    println(
        "${crm.now().show()}  deal is ${win.opportunity.stage}: contract ${contract.number} drafted for " +
            "${contract.amount.amount} ${contract.amount.currency}",
    )
    crm.signContract(sue, contract.id)
    contract = crm.activateContract(sue, contract.id)
    println("${crm.now().show()}  Sue signs the contract; it is ${contract.status}")

    // 7. After the sale: a ticket is opened, worked and closed.
    crm.advanceClock(days = 30)
    var ticket = crm.openTicket(sam, NewTicket(
        subject = "Two trucks show no position",
        customer = conversion.customer,
        category = "repair",
    ))
    crm.assignTicket(sam, ticket.id, sam.user)
    crm.startTicket(sam, ticket.id)
    crm.advanceClock(hours = 3)
    crm.resolveTicket(sam, ticket.id, "Re-paired the trackers")
    ticket = crm.closeTicket(sam, ticket.id)
    println("${crm.now().show()}  ticket \"${ticket.subject}\" is ${ticket.status}")

    // 8. The host drains the outbox: what it must send, exactly once.
    val messages = crm.takeOutbox(100u)
    for (message in messages) {
        println("outbox: ${message.topic} for ${message.recipient ?: "-"} about ${message.record.kind} ${message.record.id}")
    }
    crm.ackOutbox(messages.map { it.id })

    // 9. Every change left an event: the customer's story, record by record.
    println("\nHistory")
    val records = listOf(
        RecordKey("lead", lead.id),
        RecordKey("customer", conversion.customer),
        RecordKey("opportunity", dealId),
        RecordKey("contract", contract.id),
        RecordKey("ticket", ticket.id),
    )
    for (key in records) {
        for (event in crm.history(admin, key.kind, key.id)) {
            val states = when {
                event.from != null && event.to != null && event.from != event.to -> " ${event.from} -> ${event.to}"
                event.from == null && event.to != null -> " -> ${event.to}"
                else -> ""
            }
            val reason = event.reason?.let { " ($it)" } ?: ""
            println(
                "  #%-3s %s  %-11s %-12s by %-5s%s%s".format(
                    event.seq, event.at.show(), key.kind, event.action, event.actor, states, reason,
                ),
            )
        }
    }
}
