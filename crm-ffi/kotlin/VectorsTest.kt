// The FFI parity suite on the JVM: runs every shared test vector
// (tests/vectors/*.json) through the generated Kotlin API, then checks that bad
// input comes back as typed CrmException cases, that the assignment commands
// return typed, readable results, that customer value (scoreRfm,
// scoreRfmColumns, refreshCustomerValue) comes back typed and checks its
// input, that duplicate matching (DedupeScan, explainMatch) comes back typed
// and names the field of bad input, that the engine finds, merges and unmerges
// duplicates (findDuplicates, findDuplicatesOf, merge, unmerge), that payment
// terms and quotes (splitPayments, reachMilestone, priceQuote) come back typed
// and exact and name the field of bad input, that quote versions and payment
// plans in the engine (addQuote ... collected) come back typed, that the
// service desk (Calendar, SLA clocks, escalate, ticketSla, answerSurvey,
// department tasks) comes back typed and names the field of bad input, that
// loyalty (the points ledger, care items, campaigns and their holdout,
// loyaltyPoints, drawHoldout) comes back typed and names the field of bad
// input, that analytics (metric tables with typed cells, customerLifetimeValue,
// fitClv) and importRows (a file with a refused row, the progress listener)
// come back typed and name the field of bad input, and that `Crm.open` keeps
// what was written in an SQLite file across objects. No
// Gradle, no JUnit: a plain main that prints one line per failure and ends
// with "N passed, M failed"; it exits non-zero when anything failed.
//
//   java -Djna.library.path=<dir of libcrm_ffi.so> -cp tests.jar:jna.jar \
//       crm.ffi.test.VectorsTestKt tests/vectors

package crm.ffi.test

import java.io.File
import java.lang.reflect.Modifier
import java.math.BigDecimal
import java.time.Instant
import kotlin.system.exitProcess
import uniffi.crm_ffi.*

// ----- a small JSON reader (the JVM has none built in) -----------------------

/** Reads JSON into Map (insertion-ordered), List, String, Long, BigDecimal, Boolean and null. */
class JsonReader(private val text: String) {
    private var at = 0

    fun readDocument(): Any? {
        val value = readValue()
        skipSpace()
        if (at != text.length) fail("trailing text")
        return value
    }

    private fun fail(what: String): Nothing = throw IllegalArgumentException("bad JSON at $at: $what")

    private fun skipSpace() {
        while (at < text.length && text[at].isWhitespace()) at++
    }

    private fun readValue(): Any? {
        skipSpace()
        if (at >= text.length) fail("unexpected end")
        return when (val c = text[at]) {
            '{' -> readObject()
            '[' -> readArray()
            '"' -> readString()
            't' -> literal("true", true)
            'f' -> literal("false", false)
            'n' -> literal("null", null)
            else -> if (c == '-' || c.isDigit()) readNumber() else fail("unexpected '$c'")
        }
    }

    private fun literal(word: String, value: Any?): Any? {
        if (!text.startsWith(word, at)) fail("expected $word")
        at += word.length
        return value
    }

    private fun readObject(): Map<String, Any?> {
        val map = LinkedHashMap<String, Any?>()
        at++
        skipSpace()
        if (text[at] == '}') { at++; return map }
        while (true) {
            skipSpace()
            if (text[at] != '"') fail("expected a key")
            val key = readString()
            skipSpace()
            if (text[at] != ':') fail("expected ':'")
            at++
            map[key] = readValue()
            skipSpace()
            when (text[at]) {
                ',' -> at++
                '}' -> { at++; return map }
                else -> fail("expected ',' or '}'")
            }
        }
    }

    private fun readArray(): List<Any?> {
        val list = ArrayList<Any?>()
        at++
        skipSpace()
        if (text[at] == ']') { at++; return list }
        while (true) {
            list.add(readValue())
            skipSpace()
            when (text[at]) {
                ',' -> at++
                ']' -> { at++; return list }
                else -> fail("expected ',' or ']'")
            }
        }
    }

    private fun readString(): String {
        val out = StringBuilder()
        at++
        while (true) {
            if (at >= text.length) fail("unterminated string")
            val c = text[at++]
            when (c) {
                '"' -> return out.toString()
                '\\' -> {
                    when (val e = text[at++]) {
                        '"', '\\', '/' -> out.append(e)
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000C')
                        'n' -> out.append('\n')
                        'r' -> out.append('\r')
                        't' -> out.append('\t')
                        'u' -> { out.append(text.substring(at, at + 4).toInt(16).toChar()); at += 4 }
                        else -> fail("bad escape \\$e")
                    }
                }
                else -> out.append(c)
            }
        }
    }

    private fun readNumber(): Any {
        val start = at
        if (text[at] == '-') at++
        while (at < text.length && (text[at].isDigit() || text[at] in ".eE+-")) at++
        val number = text.substring(start, at)
        return number.toLongOrNull() ?: BigDecimal(number)
    }
}

fun parseJson(text: String): Any? = JsonReader(text).readDocument()

// ----- results in the canonical form of tests/vectors/README.md ---------------

fun snakeCase(name: String): String =
    name.replace(Regex("([a-z0-9])([A-Z])"), "$1_$2").lowercase()

/**
 * The canonical JSON-like value of anything the Kotlin API returns: records
 * become maps with snake_case keys, `*Json` text fields are parsed and lose the
 * suffix, `Instant`s become RFC 3339 strings, unsigned numbers become Longs,
 * enum entries (`StepResult.NOT_MATCHED`) their snake_case names, except tiers,
 * which keep their capital (`RfmTier.A` is `"A"`).
 */
fun canonical(value: Any?): Any? = when (value) {
    null, is Unit -> null
    is String, is Boolean -> value
    is Int -> value.toLong()
    is Long, is Double -> value
    is ULong -> value.toLong()
    is UInt -> value.toLong()
    is UByte -> value.toLong()
    is Instant -> value.toString()
    is RfmTier -> value.name
    // A metric's cell: its value (decimals stay strings), null for Null.
    is MetricValue -> metricCell(value)
    is Enum<*> -> value.name.lowercase()
    is List<*> -> value.map(::canonical)
    is Map<*, *> -> value.entries.associate { (k, v) -> k as String to canonical(v) }  // built by the runner
    is AnyRecord -> anyRecord(value)
    // Aging's buckets are `days1To30` ... in Kotlin, `days_1_30` ... in the canonical form.
    is Aging -> mapOf(
        "current" to canonical(value.current), "days_1_30" to canonical(value.days1To30),
        "days_31_60" to canonical(value.days31To60), "days_61_90" to canonical(value.days61To90),
        "days_90_plus" to canonical(value.days90Plus),
    )
    is Grantee -> when (value) {
        is Grantee.User -> mapOf("user" to value.id)
        is Grantee.Team -> mapOf("team" to value.id)
    }
    else -> recordFields(value)
}

/** A metric table's cell in the canonical form: decimals and dates as text, times as RFC 3339. */
fun metricCell(cell: MetricValue): Any? = when (cell) {
    MetricValue.Null -> null
    is MetricValue.Text -> cell.value
    is MetricValue.Integer -> cell.value
    is MetricValue.Float -> cell.value
    is MetricValue.Decimal -> cell.value
    is MetricValue.Time -> cell.value.toString()
    is MetricValue.Date -> cell.value
    is MetricValue.Bool -> cell.value
}

fun anyRecord(any: AnyRecord): Any? {
    val (entity, record) = when (any) {
        is AnyRecord.Customer -> "customer" to any.record
        is AnyRecord.Contact -> "contact" to any.record
        is AnyRecord.Lead -> "lead" to any.record
        is AnyRecord.Opportunity -> "opportunity" to any.record
        is AnyRecord.Contract -> "contract" to any.record
        is AnyRecord.Ticket -> "ticket" to any.record
        is AnyRecord.Activity -> "activity" to any.record
        is AnyRecord.Task -> "task" to any.record
        is AnyRecord.User -> "user" to any.record
        is AnyRecord.Team -> "team" to any.record
        is AnyRecord.PointsEntry -> "points_entry" to any.record
        is AnyRecord.Campaign -> "campaign" to any.record
    }
    @Suppress("UNCHECKED_CAST")
    return (canonical(record) as Map<String, Any?>) + ("entity" to entity)
}

/** A generated data class as a map, by reflection over its fields. */
fun recordFields(record: Any): Map<String, Any?> {
    require(record.javaClass.packageName == "uniffi.crm_ffi") { "not a crm record: ${record.javaClass}" }
    val map = LinkedHashMap<String, Any?>()
    val getters = record.javaClass.methods.filter { it.parameterCount == 0 }.map { it.name }.toSet()
    for (field in record.javaClass.declaredFields) {
        if (Modifier.isStatic(field.modifiers) || field.isSynthetic) continue
        field.isAccessible = true
        val raw = field.get(record)
        if (field.name.endsWith("Json")) {
            map[snakeCase(field.name.removeSuffix("Json"))] = (raw as String?)?.let(::parseJson)
        } else {
            // Non-null unsigned fields are stored as plain JVM primitives; their
            // getters have mangled names (`getOverdue-pVg5ArA`), those of signed
            // ones (`getPoints`) do not.
            val signed = "get" + field.name.replaceFirstChar(Char::uppercaseChar) in getters
            map[snakeCase(field.name)] = when {
                signed && (raw is Int || raw is Long) -> (raw as Number).toLong()
                raw is Byte -> raw.toUByte().toLong()
                raw is Short -> raw.toUShort().toLong()
                raw is Int -> raw.toUInt().toLong()
                raw is Long -> raw.toULong().toLong()
                else -> canonical(raw)
            }
        }
    }
    return map
}

/** The error as the vectors describe it: its kind and fields. */
fun errorJson(err: CrmException): Map<String, Any?> = when (err) {
    is CrmException.Validation ->
        mapOf("kind" to "validation", "fields" to err.fields, "value" to err.value, "reason" to err.reason)
    is CrmException.InvalidTransition ->
        mapOf("kind" to "invalid_transition", "entity" to err.entity, "id" to err.id, "from" to err.from, "action" to err.action)
    is CrmException.NotFound -> mapOf("kind" to "not_found", "entity" to err.entity, "id" to err.id)
    is CrmException.Conflict -> mapOf(
        "kind" to "conflict", "entity" to err.entity, "id" to err.id,
        "expected_version" to err.expectedVersion.toLong(), "found" to err.found?.toLong(),
    )
    is CrmException.Forbidden ->
        mapOf("kind" to "forbidden", "actor" to err.actor, "action" to err.action, "entity" to err.entity, "id" to err.id)
    is CrmException.Storage -> mapOf("kind" to "storage", "reason" to err.reason)
    is CrmException.Config -> mapOf("kind" to "config", "path" to err.path, "reason" to err.reason)
}

fun lookup(value: Any?, path: String): Any? =
    path.split('.').fold(value) { current, segment ->
        when (current) {
            is List<*> -> segment.toIntOrNull()?.let { current.getOrNull(it) }
            is Map<*, *> -> current[segment]
            else -> null
        }
    }

fun same(actual: Any?, expected: Any?): Boolean = when {
    actual is Number && expected is Number ->
        BigDecimal(actual.toString()).compareTo(BigDecimal(expected.toString())) == 0
    actual is List<*> && expected is List<*> ->
        actual.size == expected.size && actual.indices.all { same(actual[it], expected[it]) }
    actual is Map<*, *> && expected is Map<*, *> ->
        actual.keys == expected.keys && actual.keys.all { same(actual[it], expected[it]) }
    else -> actual == expected
}

// ----- running vectors ------------------------------------------------------------

/** A step's arguments, typed on the way out. */
class Args(private val map: Map<String, Any?>) {
    fun str(name: String): String? = map[name] as String?
    fun req(name: String): String = str(name) ?: error("argument `$name` missing")
    fun long(name: String): Long? = (map[name] as Number?)?.toLong()
    fun bool(name: String): Boolean? = map[name] as Boolean?
    @Suppress("UNCHECKED_CAST")
    fun strings(name: String): List<String>? = map[name] as List<String>?
    fun money(name: String): Money? = (map[name] as Map<*, *>?)?.let {
        Money(amount = it["amount"] as String, currency = it["currency"] as String)
    }
    fun instant(name: String): Instant? = str(name)?.let(Instant::parse)
    @Suppress("UNCHECKED_CAST")
    fun absences(name: String): List<Absence>? = (map[name] as List<Map<String, Any?>>?)?.map {
        Absence(from = Instant.parse(it["from"] as String), until = Instant.parse(it["until"] as String), reason = it["reason"] as String?)
    }
    fun grantee(): Grantee = when {
        str("user") != null && str("team") == null -> Grantee.User(req("user"))
        str("team") != null && str("user") == null -> Grantee.Team(req("team"))
        else -> error("name a user or a team")
    }
    @Suppress("UNCHECKED_CAST")
    fun purchases(name: String): List<Purchase>? = (map[name] as List<Map<String, Any?>>?)?.map {
        // Amounts are decimal strings in the vectors; a JSON number is passed as its text.
        Purchase(customer = it["customer"] as String, at = Instant.parse(it["at"] as String), amount = it["amount"].toString())
    }
    @Suppress("UNCHECKED_CAST")
    fun matchRecord(name: String): MatchRecord = matchRecordOf(map[name] as Map<String, Any?>)
    @Suppress("UNCHECKED_CAST")
    fun matchRecords(name: String): List<MatchRecord> = (map[name] as List<Map<String, Any?>>).map(::matchRecordOf)
    fun raw(name: String): Any? = map[name]
    /** Every argument (a command whose arguments are one JSON object: `metric`'s query). */
    fun all(): Map<String, Any?> = map
    fun uints(name: String): List<UInt>? = (map[name] as List<*>?)?.map { (it as Number).toLong().toUInt() }
    @Suppress("UNCHECKED_CAST")
    fun quoteLines(name: String): List<QuoteLine> = (map[name] as List<Map<String, Any?>>).map(::quoteLineOf)
    fun key(name: String): RecordKey? = (map[name] as Map<*, *>?)?.let { RecordKey(kind = it["kind"] as String, id = it["id"] as String) }
    @Suppress("UNCHECKED_CAST")
    fun keys(name: String): List<RecordKey> = (map[name] as List<Map<String, Any?>>).map { RecordKey(kind = it["kind"] as String, id = it["id"] as String) }
    @Suppress("UNCHECKED_CAST")
    fun purchaseLines(name: String): List<PurchaseLine>? = (map[name] as List<Map<String, Any?>>?)?.map(::purchaseLineOf)
    /** A decimal argument as its text (the vectors write them as strings; a JSON number goes as its text). */
    fun decimal(name: String): String = map[name]?.toString() ?: error("argument `$name` missing")
}

/** A vector's purchase line as a PurchaseLine (the amount as its text); an unknown key fails the step. */
fun purchaseLineOf(m: Map<String, Any?>): PurchaseLine {
    val known = setOf("product", "category", "amount")
    require(known.containsAll(m.keys)) { "unknown PurchaseLine keys ${m.keys - known}" }
    return PurchaseLine(product = m["product"] as String?, category = m["category"] as String?, amount = m["amount"].toString())
}

/** A vector's record object as a MatchRecord; an unknown key fails the step. */
fun matchRecordOf(m: Map<String, Any?>): MatchRecord {
    val known = setOf("first_name", "last_name", "name", "email", "phone", "company", "title", "city")
    require(known.containsAll(m.keys)) { "unknown MatchRecord keys ${m.keys - known}" }
    return MatchRecord(
        firstName = m["first_name"] as String?, lastName = m["last_name"] as String?, name = m["name"] as String?,
        email = m["email"] as String?, phone = m["phone"] as String?, company = m["company"] as String?,
        title = m["title"] as String?, city = m["city"] as String?,
    )
}

/** A vector's quote line as a QuoteLine (decimals as their text); an unknown key fails the step. */
fun quoteLineOf(m: Map<String, Any?>): QuoteLine {
    val known = setOf("product", "description", "quantity", "unit_price", "discount_percent", "discount_amount", "tax_percent")
    require(known.containsAll(m.keys)) { "unknown QuoteLine keys ${m.keys - known}" }
    return QuoteLine(
        product = m["product"] as String, description = m["description"] as String?,
        quantity = m["quantity"].toString(), unitPrice = m["unit_price"]?.toString(),
        discountPercent = m["discount_percent"]?.toString(), discountAmount = m["discount_amount"]?.toString(),
        taxPercent = m["tax_percent"]?.toString() ?: "0",
    )
}

/** The `dedupe` command's result, as tests/vectors.rs builds it. */
fun dedupeResult(a: Args): Map<String, Any?> {
    val scan = DedupeScan(a.matchRecords("records"), a.raw("config")?.let(::toJson))
    return scan.use {
        val explain = (a.raw("explain") as List<*>?)?.map { (it as Number).toLong().toUInt() }
        mapOf(
            "pairs" to it.pairs().map { p ->
                mapOf("left" to p.left.toLong(), "right" to p.right.toLong(), "probability" to p.probability, "rule" to p.rule)
            },
            "cluster_ids" to canonical(it.clusterIds()),
            "clusters" to canonical(it.clusters()),
            "candidate_pairs" to it.candidatePairs().toLong(),
            "explanation" to explain?.let { (l, r) -> canonical(it.explain(l, r)) },
        )
    }
}

/** Writes canonical values back as JSON text (for `update`'s fields). */
fun toJson(value: Any?): String = when (value) {
    null -> "null"
    is String -> "\"" + value.flatMap {
        when (it) {
            '"' -> listOf('\\', '"'); '\\' -> listOf('\\', '\\'); '\n' -> listOf('\\', 'n')
            else -> listOf(it)
        }
    }.joinToString("") + "\""
    is Map<*, *> -> value.entries.joinToString(",", "{", "}") { toJson(it.key) + ":" + toJson(it.value) }
    is List<*> -> value.joinToString(",", "[", "]") { toJson(it) }
    else -> value.toString()
}

fun runCommand(crm: Crm, command: String, actor: Actor?, a: Args): Any? {
    val who by lazy { actor ?: error("`$command` needs an actor") }
    return when (command) {
        "advance_clock" -> crm.advanceClock(a.long("minutes") ?: 0, a.long("hours") ?: 0, a.long("days") ?: 0)
        "save_team" -> crm.saveTeam(who, TeamInput(id = a.req("id"), name = a.req("name"), region = a.str("region"), supervisor = a.str("supervisor")))
        "save_user" -> crm.saveUser(who, UserInput(
            id = a.req("id"), name = a.req("name"), email = a.str("email"), team = a.str("team"),
            region = a.str("region"), roles = a.strings("roles") ?: listOf(), active = a.bool("active") ?: true,
            away = a.absences("away") ?: listOf(),
        ))
        "create_customer" -> crm.createCustomer(who, NewCustomer(
            name = a.req("name"), kind = a.str("kind"), owner = a.str("owner"), region = a.str("region"),
            industry = a.str("industry"), phone = a.str("phone"), email = a.str("email"), tags = a.strings("tags") ?: listOf(),
            timeZone = a.str("time_zone"),
        ))
        "add_contact" -> crm.addContact(who, NewContact(
            customer = a.req("customer"), name = a.req("name"), title = a.str("title"),
            phones = a.strings("phones") ?: listOf(), emails = a.strings("emails") ?: listOf(),
        ))
        "create_lead" -> crm.createLead(who, NewLead(
            source = a.str("source"), channel = a.str("channel"), campaign = a.str("campaign"), company = a.str("company"),
            contactName = a.str("contact_name"), title = a.str("title"), phone = a.str("phone"), email = a.str("email"),
            region = a.str("region"), productLine = a.str("product_line"), owner = a.str("owner"), team = a.str("team"),
            qualityScore = a.long("quality_score")?.toUByte(),
        ))
        "assign_lead" -> crm.assignLead(who, a.req("id"), a.req("owner"))
        "log_activity" -> crm.logActivity(who, NewActivity(
            subject = RecordKey(kind = a.req("subject_kind"), id = a.req("subject_id")), kind = a.req("kind"),
            summary = a.req("summary"), nextFollowUpAt = a.instant("next_follow_up_at"),
        ))
        "qualify_lead" -> crm.qualifyLead(who, a.req("id"))
        "discard_lead" -> crm.discardLead(who, a.req("id"), a.req("reason"))
        "convert_lead" -> crm.convertLead(who, a.req("id"), ConvertLeadOptions(
            intoCustomer = a.str("into_customer"), createOpportunity = a.bool("create_opportunity") ?: true,
            opportunityName = a.str("opportunity_name"), expectedAmount = a.money("expected_amount"),
            allowDuplicate = a.bool("allow_duplicate") ?: false,
        ))
        "create_opportunity" -> crm.createOpportunity(who, NewOpportunity(
            customer = a.req("customer"), name = a.req("name"), owner = a.str("owner"), productLine = a.str("product_line"),
            expectedAmount = a.money("expected_amount"), expectedCloseDate = a.str("expected_close_date"),
        ))
        "advance_opportunity" -> crm.advanceOpportunity(who, a.req("id"), a.str("to"))
        "win_opportunity" -> crm.winOpportunity(who, a.req("id"))
        "lose_opportunity" -> crm.loseOpportunity(who, a.req("id"), a.req("reason"))
        "sign_contract" -> crm.signContract(who, a.req("id"))
        "activate_contract" -> crm.activateContract(who, a.req("id"))
        "complete_contract" -> crm.completeContract(who, a.req("id"))
        "terminate_contract" -> crm.terminateContract(who, a.req("id"), a.req("reason"))
        "open_ticket" -> crm.openTicket(who, NewTicket(
            subject = a.req("subject"), priority = a.str("priority"), category = a.str("category"),
            channel = a.str("channel"), customer = a.str("customer"), group = a.str("group"),
            contract = a.str("contract"), order = a.str("order"), warrantyUntil = a.str("warranty_until"),
        ))
        "assign_ticket" -> crm.assignTicket(who, a.req("id"), a.req("assignee"))
        "start_ticket" -> crm.startTicket(who, a.req("id"))
        "await_customer" -> crm.awaitCustomer(who, a.req("id"))
        "customer_replied" -> crm.customerReplied(who, a.req("id"))
        "close_ticket" -> crm.closeTicket(who, a.req("id"))
        "resolve_ticket" -> crm.resolveTicket(who, a.req("id"), a.req("resolution"))
        "reopen_ticket" -> crm.reopenTicket(who, a.req("id"), a.req("reason"))
        "transfer_ticket" -> crm.transferTicket(who, a.req("id"), a.req("group"), a.req("reason"))
        "create_task" -> crm.createTask(who, NewTask(
            title = a.req("title"), description = a.str("description"), priority = a.str("priority"),
            assignee = a.str("assignee"), team = a.str("team"), dueAt = a.instant("due_at"),
        ))
        "start_task" -> crm.startTask(who, a.req("id"))
        "submit_task" -> crm.submitTask(who, a.req("id"))
        "approve_task" -> crm.approveTask(who, a.req("id"))
        "reject_task" -> crm.rejectTask(who, a.req("id"), a.req("reason"))
        "cancel_task" -> crm.cancelTask(who, a.req("id"), a.req("reason"))
        "add_task_note" -> crm.addTaskNote(who, a.req("id"), a.req("note"))
        // The service desk: working calendars (an object over the calendar JSON; no engine, no actor), SLA, surveys.
        "calendar_add" -> Calendar(toJson(a.raw("calendar"))).use { it.add(a.instant("start")!!, a.long("minutes")!!) }
        "calendar_between" -> Calendar(toJson(a.raw("calendar"))).use { it.betweenMinutes(a.instant("from")!!, a.instant("to")!!) }
        "escalate" -> crm.escalate(who, a.instant("now"))
        "ticket_sla" -> crm.ticketSla(who, a.req("id"), a.instant("now"))
        "answer_survey" -> crm.answerSurvey(who, a.req("id"), SurveyAnswer(
            csat = a.long("csat")?.toUByte(), nps = a.long("nps")?.toUByte(),
            feedback = a.str("feedback"), comment = a.str("comment"),
        ))
        "transition" -> crm.transition(who, a.req("kind"), a.req("id"), a.req("action"), TransitionOptions(
            to = a.str("to"), reason = a.str("reason"), expectedVersion = a.long("expected_version")?.toULong(),
        ))
        "update" -> crm.update(who, a.req("kind"), a.req("id"), a.long("expected_version")!!.toULong(), toJson(a.raw("fields")))
        "share" -> crm.share(who, a.req("kind"), a.req("id"), a.grantee(), a.req("access"))
        "unshare" -> crm.unshare(who, a.req("kind"), a.req("id"), a.grantee())
        "get" -> crm.`get`(who, a.req("kind"), a.req("id"))
        "history" -> crm.history(who, a.req("kind"), a.req("id"))
        "list" -> crm.list(who, a.req("kind"), ListOptions(
            owner = a.str("owner"), status = a.str("status"), limit = a.long("limit")?.toUInt(),
        ))
        "take_outbox" -> crm.takeOutbox(a.long("limit")!!.toUInt())
        "ack_outbox" -> crm.ackOutbox(a.strings("ids")!!)
        "route" -> crm.route(who, a.req("kind"), a.strings("ids")!!)
        "route_lead" -> crm.routeLead(who, a.req("id"))
        "route_pool" -> crm.routePool(who, a.req("kind"), a.str("team"))
        "pool" -> crm.pool(who, a.req("kind"), a.str("team"))
        "claim" -> crm.claim(who, a.req("kind"), a.req("id"))
        "release" -> crm.release(who, a.req("kind"), a.req("id"), a.req("reason"))
        "due_work" -> crm.dueWork(who, a.instant("now"))
        "reclaim_overdue" -> crm.reclaimOverdue(who, a.instant("now"))
        "transfer_work" -> crm.transferWork(who, fromUser = a.req("from"), reason = a.req("reason"), to = a.str("to"))
        "score_lead" -> crm.scoreLead(who, a.req("id"))
        "refresh_customer_value" -> crm.refreshCustomerValue(who, a.instant("as_of"))
        // A free function: no engine, no actor.
        "score_rfm" -> scoreRfm(a.purchases("purchases")!!, a.instant("as_of")!!, a.raw("config")?.let(::toJson))
        // Duplicate matching: no engine, no actor.
        "dedupe" -> dedupeResult(a)
        "explain_match" -> explainMatch(a.matchRecord("a"), a.matchRecord("b"), a.raw("config")?.let(::toJson))
        // Quotes and payment terms: free functions, no engine, no actor; templates as JSON text.
        "split_payments" -> splitPayments(a.money("total")!!, toJson(a.raw("terms")), a.str("base"))
        "price_quote" -> priceQuote(a.quoteLines("lines"), a.req("currency"), a.raw("price_list")?.let(::toJson))
        // Quote versions and payment plans in the engine: templates and price lists as JSON text, dates as strings.
        "add_quote" -> crm.addQuote(who, a.req("opportunity"), QuoteInput(
            lines = a.quoteLines("lines"), currency = a.str("currency"), priceListJson = a.raw("price_list")?.let(::toJson),
            validUntil = a.str("valid_until"), note = a.str("note"),
        ))
        "accept_quote" -> crm.acceptQuote(who, a.req("opportunity"), a.long("version")!!.toUInt())
        "set_payment_plan" -> crm.setPaymentPlan(who, a.req("contract"), toJson(a.raw("terms")), a.str("base"))
        "record_payment" -> crm.recordPayment(who, a.req("contract"), PaymentInput(
            id = a.req("id"), amount = a.money("amount")!!, on = a.str("on"), to = a.uints("to"),
        ))
        "reverse_payment" -> crm.reversePayment(who, a.req("contract"), a.req("id"), a.req("reason"))
        "write_off_installment" -> crm.writeOffInstallment(who, a.req("contract"), a.long("installment")!!.toUInt(), a.req("reason"))
        "reach_milestone" -> crm.reachMilestone(who, a.req("contract"), a.req("event"), a.str("on"))
        "reschedule_payments" -> crm.reschedulePayments(who, a.req("contract"), toJson(a.raw("terms")), a.req("reason"), a.str("base"))
        "receivables" -> crm.receivables(who, a.req("today"), a.str("customer"))
        "collected" -> crm.collected(who, a.req("from"), a.req("until"))
        // Duplicates in the store: the record as for `dedupe`, keys as RecordKeys.
        "find_duplicates" -> crm.findDuplicates(who, a.matchRecord("record"))
        "merge" -> crm.merge(who, MergeInput(records = a.keys("records"), survivor = a.key("survivor"), rule = a.str("rule"), reason = a.req("reason")))
        "unmerge" -> a.key("survivor")!!.let { crm.unmerge(who, it.kind, it.id, a.req("reason"), event = a.str("event")) }
        // Loyalty: the points ledger, member levels, care, campaigns (segments as JSON text, decimals as strings).
        "record_purchase" -> crm.recordPurchase(who, PurchaseInput(
            customer = a.req("customer"), reference = a.req("reference"), amount = a.money("amount")!!,
            at = a.instant("at"), lines = a.purchaseLines("lines") ?: listOf(), campaign = a.str("campaign"),
        ))
        "refund_purchase" -> crm.refundPurchase(who, a.req("customer"), a.req("reference"), a.money("amount")!!)
        "redeem_points" -> crm.redeemPoints(who, a.req("customer"), a.long("points")!!, a.req("reward"), a.str("reference"))
        "adjust_points" -> crm.adjustPoints(who, a.req("customer"), a.long("points")!!, a.req("reason"))
        "award_bonus" -> crm.awardBonus(who, a.req("customer"), a.req("event"), a.str("reference"))
        "points_entries" -> crm.pointsEntries(who, a.req("customer"))
        "review_loyalty" -> crm.reviewLoyalty(who, a.instant("now"))
        "act_on_care" -> crm.actOnCare(who, a.req("customer"), a.req("rule"), a.req("kind"), a.req("summary"))
        "launch_campaign" -> crm.launchCampaign(who, CampaignInput(
            name = a.req("name"), action = a.str("action"), segmentJson = toJson(a.raw("segment")),
            holdoutPercent = a.decimal("holdout_percent"), seed = a.long("seed")!!.toULong(),
            windowDays = a.long("window_days")!!.toUInt(),
        ))
        "record_campaign_contacts" -> crm.recordCampaignContacts(who, a.req("campaign"), a.strings("customers")!!, a.instant("at"))
        "campaign_results" -> crm.campaignResults(who, a.req("campaign"), a.instant("as_of"))
        // Loyalty's free functions: no engine, no actor.
        "loyalty_points" -> loyaltyPoints(toJson(a.raw("program")), a.purchaseLines("lines")!!, a.str("level"), a.str("campaign"))
        "draw_holdout" -> drawHoldout(a.long("n")!!.toUInt(), a.decimal("percent"), a.long("seed")!!.toULong())
        // Analytics: the metric's query is the step's arguments, as JSON text; cells come back typed.
        "metric" -> crm.metric(who, toJson(a.all()))
        "customer_lifetime_value" -> (a.raw("options") as Map<*, *>?).let { options ->
            crm.customerLifetimeValue(
                who, a.instant("as_of"),
                months = (options?.get("months") as Number?)?.toLong()?.toUInt() ?: 12u,
                monthlyDiscount = (options?.get("monthly_discount") as Number?)?.toDouble() ?: 0.01,
                scope = scopeOf(a.raw("scope")),
            )
        }
        // A free function: no engine, no actor.
        "fit_clv" -> (a.raw("options") as Map<*, *>?).let { options ->
            fitClv(
                a.purchases("purchases")!!, a.instant("as_of")!!,
                months = (options?.get("months") as Number?)?.toLong()?.toUInt() ?: 12u,
                monthlyDiscount = (options?.get("monthly_discount") as Number?)?.toDouble() ?: 0.01,
            )
        }
        // Import: the spec as JSON text, the file's text as bytes.
        "import_rows" -> crm.importRows(who, toJson(a.raw("spec")), data = a.req("data").toByteArray(Charsets.UTF_8))
        else -> error("unknown command `$command` in a vector")
    }
}

/** A vector's scope (`"all"`, `{"user": id}`, `{"team": id}`, `{"region": name}`) as a MetricScope. */
fun scopeOf(value: Any?): MetricScope? = when {
    value == null -> null
    value == "all" -> MetricScope.All
    value is Map<*, *> && value.keys == setOf("user") -> MetricScope.User(value["user"] as String)
    value is Map<*, *> && value.keys == setOf("team") -> MetricScope.Team(value["team"] as String)
    value is Map<*, *> && value.keys == setOf("region") -> MetricScope.Region(value["region"] as String)
    else -> error("unknown scope $value")
}

fun resolve(value: Any?, saved: Map<String, Any?>): Any? = when (value) {
    is String -> if (value.startsWith("$")) {
        if (value.substring(1) !in saved) error("nothing saved as $value")
        saved[value.substring(1)]
    } else value
    is List<*> -> value.map { resolve(it, saved) }
    is Map<*, *> -> value.entries.associate { (k, v) -> k as String to resolve(v, saved) }
    else -> value
}

class Tally {
    var passed = 0
    var failed = 0

    fun check(name: String, ok: Boolean, detail: () -> String = { "" }) {
        if (ok) passed++ else { failed++; println("FAIL $name ${detail()}") }
    }
}

@Suppress("UNCHECKED_CAST")
fun runVector(file: File, tally: Tally) {
    val vector = parseJson(file.readText()) as Map<String, Any?>
    val crm = Crm(
        now = Instant.parse(vector["start"] as String), seed = (vector["seed"] as Long).toULong(),
        configJson = vector["config"]?.let(::toJson),
    )
    val actors = (vector["actors"] as Map<String, Map<String, Any?>>).mapValues { (_, spec) ->
        Actor(
            user = spec["user"] as String, roles = spec["roles"] as List<String>? ?: listOf(),
            team = spec["team"] as String?, region = spec["region"] as String?,
        )
    }
    val saved = HashMap<String, Any?>()
    for ((at, step) in (vector["steps"] as List<Map<String, Any?>>).withIndex()) {
        val command = step["do"] as String
        val context = "${file.name} step $at ($command)"
        val actor = (step["as"] as String?)?.let { actors.getValue(it) }
        val args = Args(resolve(step["args"] ?: mapOf<String, Any?>(), saved) as Map<String, Any?>)
        val expectedError = step["error"] as Map<String, Any?>?
        val result = try {
            Result.success(runCommand(crm, command, actor, args))
        } catch (err: CrmException) {
            Result.failure(err)
        }
        result.fold(
            onSuccess = { raw ->
                if (expectedError != null) {
                    tally.check(context, false) { "expected error $expectedError, got ${canonical(raw)}" }
                    return
                }
                val value = when (val c = canonical(raw)) {
                    is List<*>, is Map<*, *> -> c
                    else -> mapOf("value" to c)
                }
                val mismatches = ArrayList<String>()
                for ((path, expected) in (step["expect"] as Map<String, Any?>?) ?: mapOf()) {
                    val want = resolve(expected, saved)
                    val actual = if (path == "len") (value as? List<*>)?.size else lookup(value, path)
                    if (!same(actual, want)) mismatches.add("$path is $actual, expected $want")
                }
                for ((name, path) in (step["save"] as Map<String, String>?) ?: mapOf()) {
                    saved[name] = lookup(value, path) ?: error("$context: nothing at $path")
                }
                tally.check(context, mismatches.isEmpty()) { mismatches.joinToString("; ") }
                if (mismatches.isNotEmpty()) return
            },
            onFailure = { err ->
                err as CrmException
                if (expectedError == null) {
                    tally.check(context, false) { "unexpected error ${err::class.simpleName}: $err" }
                    return
                }
                val actual = errorJson(err)
                val wrong = expectedError.filter { (field, want) -> !same(actual[field], resolve(want, saved)) }
                tally.check(context, wrong.isEmpty()) { "error $actual does not match $wrong" }
                if (wrong.isNotEmpty()) return
            },
        )
    }
}

// ----- bad input: typed errors, never a crash ---------------------------------------

inline fun <reified E : CrmException> expectError(tally: Tally, name: String, block: () -> Unit): E? {
    try {
        block()
        tally.check(name, false) { "expected ${E::class.simpleName}, got success" }
    } catch (err: CrmException) {
        if (err is E) {
            tally.check(name, true)
            return err
        }
        tally.check(name, false) { "expected ${E::class.simpleName}, got ${err::class.simpleName}: $err" }
    }
    return null
}

fun badInput(tally: Tally) {
    val crm = Crm(now = Instant.parse("2026-01-05T09:00:00Z"), seed = 7uL)
    val admin = Actor(user = "root", roles = listOf("admin"))
    val ana = Actor(user = "ana", roles = listOf("sales"))
    val customer = crm.createCustomer(ana, NewCustomer(name = "Acme"))
    val deal = crm.createOpportunity(ana, NewOpportunity(customer = customer.id, name = "Deal"))
    val lead = crm.createLead(ana, NewLead(company = "Acme", owner = "ana"))

    expectError<CrmException.Validation>(tally, "negative amount") {
        crm.createOpportunity(ana, NewOpportunity(customer = customer.id, name = "N", expectedAmount = Money("-5", "EUR")))
    }?.let { tally.check("negative amount names expected_amount", it.fields == listOf("expected_amount")) { "${it.fields}" } }
    expectError<CrmException.Validation>(tally, "amount as a float string") {
        crm.createOpportunity(ana, NewOpportunity(customer = customer.id, name = "N", expectedAmount = Money("1e3", "EUR")))
    }?.let { tally.check("float amount names amount", it.fields == listOf("amount")) { "${it.fields}" } }
    expectError<CrmException.InvalidTransition>(tally, "unknown action") {
        crm.transition(ana, "lead", lead.id, "fly")
    }?.let { tally.check("unknown action is named", it.action == "fly" && it.from == "new") { "$it" } }
    expectError<CrmException.Validation>(tally, "unknown kind") {
        crm.get(ana, "spaceship", lead.id)
    }?.let { tally.check("unknown kind names entity", it.fields == listOf("entity") && it.value == "spaceship") { "$it" } }
    expectError<CrmException.Validation>(tally, "empty id") {
        crm.qualifyLead(ana, "")
    }?.let { tally.check("empty id message", it.toString() == "invalid lead_id: must not be empty") { it.toString() } }
    expectError<CrmException.Validation>(tally, "empty actor") {
        crm.qualifyLead(Actor(user = ""), lead.id)
    }?.let { tally.check("empty actor names user_id", it.fields == listOf("user_id")) { "${it.fields}" } }
    val huge = "x".repeat(1_000_000)
    expectError<CrmException.Validation>(tally, "huge company name") {
        crm.createLead(ana, NewLead(company = huge))
    }?.let { tally.check("huge string names company", it.fields == listOf("company")) { "${it.fields}" } }
    expectError<CrmException.Validation>(tally, "huge id") {
        crm.get(ana, "lead", huge)
    }?.let { tally.check("huge id is echoed short", (it.value?.length ?: 0) <= 40) { "${it.value?.length}" } }
    expectError<CrmException.Validation>(tally, "control characters") {
        crm.createLead(ana, NewLead(company = "a\u0000b"))
    }
    expectError<CrmException.Validation>(tally, "malformed JSON fields") {
        crm.update(ana, "opportunity", deal.id, 1uL, "{\"name\": ")
    }?.let { tally.check("malformed JSON names fields", it.fields == listOf("fields") && !it.reason.contains("name")) { "$it" } }
    expectError<CrmException.Validation>(tally, "JSON fields not an object") {
        crm.update(ana, "opportunity", deal.id, 1uL, "[1, 2]")
    }
    expectError<CrmException.Validation>(tally, "malformed custom JSON") {
        crm.createLead(ana, NewLead(company = "Acme", customJson = "{oops"))
    }?.let { tally.check("custom JSON names custom", it.fields == listOf("custom")) { "${it.fields}" } }
    expectError<CrmException.Validation>(tally, "unknown priority") {
        crm.openTicket(ana, NewTicket(subject = "Leak", priority = "asap"))
    }?.let { tally.check("priority is named", it.fields == listOf("priority") && it.value == "asap") { "$it" } }
    expectError<CrmException.Validation>(tally, "bad date") {
        crm.createOpportunity(ana, NewOpportunity(customer = customer.id, name = "D", expectedCloseDate = "31.03.2026"))
    }?.let { tally.check("bad date names the field", it.fields == listOf("expected_close_date")) { "${it.fields}" } }
    expectError<CrmException.Validation>(tally, "unknown share access") {
        crm.share(ana, "opportunity", deal.id, Grantee.User("bo"), "own")
    }
    expectError<CrmException.Validation>(tally, "time out of range") {
        crm.setNow(Instant.MAX)
    }?.let { tally.check("out-of-range time names now", it.fields == listOf("now")) { "${it.fields}" } }
    expectError<CrmException.Validation>(tally, "clock overflow") {
        crm.advanceClock(days = Long.MAX_VALUE)
    }
    expectError<CrmException.Validation>(tally, "system clock cannot move") {
        Crm().advanceClock(hours = 1)
    }?.let { tally.check("system clock error names clock", it.fields == listOf("clock")) { "${it.fields}" } }
    expectError<CrmException.Conflict>(tally, "stale version") {
        crm.update(ana, "opportunity", deal.id, 7uL, "{\"name\": \"Stale\"}")
    }?.let { tally.check("conflict carries versions", it.expectedVersion == 7uL && it.found == 1uL) { "$it" } }
    expectError<CrmException.NotFound>(tally, "unknown id") {
        crm.get(admin, "ticket", "0194a000-0000-7000-8000-000000000000")
    }

    // A lone surrogate is not text in UTF-8: the generated code refuses it before
    // the call, and the engine is unharmed.
    try {
        crm.createLead(ana, NewLead(company = "\uD800"))
        tally.check("lone surrogate", false) { "was accepted" }
    } catch (err: java.nio.charset.CharacterCodingException) {
        tally.check("lone surrogate is refused before the call", true)
    }
    tally.check("the engine works after refused input", crm.get(ana, "lead", lead.id) is AnyRecord.Lead)

    // Values that do go through keep their exact form.
    val precise = Crm(now = Instant.parse("2026-01-05T09:00:00.123456789Z"), seed = 1uL)
    tally.check("times are kept to the (rounded) microsecond", precise.now() == Instant.parse("2026-01-05T09:00:00.123457Z")) { "${precise.now()}" }
    val priced = crm.update(ana, "opportunity", deal.id, 1uL, "{\"expected_amount\": {\"amount\": \"0.1\", \"currency\": \"EUR\"}}")
    tally.check("amounts stay decimal strings", (priced as? AnyRecord.Opportunity)?.record?.expectedAmount == Money("0.10", "EUR")) { "$priced" }
    val custom = crm.createLead(ana, NewLead(company = "Acme", customJson = "{}"))
    tally.check("custom values come back as JSON text", custom.customJson == "{}") { custom.customJson }
    tally.check("a seed gives the same ids", Crm(now = Instant.parse("2026-01-05T09:00:00Z"), seed = 7uL).let {
        it.createCustomer(ana, NewCustomer(name = "Acme")).id == customer.id
    })
    val history = crm.history(ana, "opportunity", deal.id)
    tally.check("events carry field changes as JSON text", history.last().changes.any { it.field == "expected_amount" && it.newJson.contains("0.10") }) { "${history.last().changes}" }
}

// ----- assignment: configuration, typed results, bad input --------------------------

val ASSIGNMENT_CONFIG = """
    {"assignment": {"rules": [
        {"name": "east", "when": {"field": "region", "eq": "east"}, "users": ["ana", "bo"]}
     ]},
     "lead_scoring": {"base": 10, "rules": [
        {"name": "cold", "when": {"field": "source", "eq": "cold_call"}, "points": -5}
     ]}}
"""

fun assignment(tally: Tally) {
    val start = Instant.parse("2026-01-05T09:00:00Z")

    // A bad configuration is a typed Config error naming the path.
    expectError<CrmException.Config>(tally, "unknown config key") {
        Crm(configJson = "{\"claim_limt\": 2}")
    }?.let { tally.check("unknown config key names config", it.path == "config" && it.reason.contains("claim_limt")) { "$it" } }
    expectError<CrmException.Config>(tally, "bad config value") {
        Crm(now = start, configJson = "{\"claim_limit\": \"two\"}")
    }?.let { tally.check("bad config value names its key", it.path == "claim_limit") { "$it" } }
    expectError<CrmException.Config>(tally, "bad rule") {
        Crm(configJson = "{\"assignment\": {\"rules\": [{\"name\": \"x\", \"users\": [\"ana\"], \"strategy\": \"coin\"}]}}")
    }?.let { tally.check("bad rule names assignment", it.path.startsWith("assignment")) { "$it" } }
    val dir = java.nio.file.Files.createTempDirectory("crm-ffi-config").toFile()
    try {
        val file = File(dir, "crm.db")
        expectError<CrmException.Config>(tally, "open with a bad config") {
            Crm.open(file.path, configJson = "[]")
        }?.let { tally.check("a bad config is refused before the file is made", it.path == "config" && !file.exists()) { "$it" } }
    } finally {
        dir.deleteRecursively()
    }

    val crm = Crm(now = start, seed = 11uL, configJson = ASSIGNMENT_CONFIG)
    val admin = Actor(user = "root", roles = listOf("admin"))
    val holiday = Absence(from = start.minusSeconds(3600), until = start.plusSeconds(86_400), reason = "holiday")
    val ana = crm.saveUser(admin, UserInput(id = "ana", name = "Ana", roles = listOf("sales"), away = listOf(holiday)))
    tally.check("a user keeps their absences", ana.away == listOf(holiday)) { "${ana.away}" }
    crm.saveUser(admin, UserInput(id = "bo", name = "Bo", roles = listOf("sales")))

    // Routing: typed, with a readable trace.
    val lead = crm.createLead(admin, NewLead(company = "Acme", region = "east", source = "cold_call"))
    tally.check("a new lead is routed past the absent user", lead.owner == "bo") { "${lead.owner}" }
    crm.release(admin, "lead", lead.id, "route it again")
    val routing = crm.routeLead(admin, lead.id)
    val step = routing.trace.first()
    val said = when (step.result) {
        StepResult.NOT_MATCHED, StepResult.OUTSIDE_HOURS, StepResult.NO_ONE_AVAILABLE -> "passed"
        StepResult.CHOSEN -> "chose ${routing.owner} by ${step.rule}: ${step.detail}"
    }
    tally.check("the trace says who was chosen and why", said == "chose bo by east: region \"east\" is = \"east\"") { said }
    tally.check("the trace says who was passed over", step.skipped == listOf(Skipped(user = "ana", reason = SkipReason.ON_LEAVE))) { "${step.skipped}" }
    tally.check("the routing names its subject", routing.subject == RecordKey("lead", lead.id) && routing.poolReason == null) { "$routing" }

    // Scores: negative points stay negative.
    val score = crm.scoreLead(admin, lead.id)
    tally.check("a score explains itself", score.score == 5.toUByte() && score.base == 10 && score.parts.single().points == -5) { "$score" }
    tally.check("a negative score part reads back negative", canonical(score) == mapOf(
        "score" to 5L, "base" to 10L, "parts" to listOf(mapOf("rule" to "cold", "points" to -5L, "detail" to score.parts.single().detail)),
    )) { "${canonical(score)}" }

    // Due work at an explicit time, without moving the clock.
    val before = crm.dueWork(admin, now = start.plusSeconds(3600))
    tally.check("nothing is overdue an hour in", before.single().user == "bo" && before.single().overdue == 0u) { "$before" }
    val item = before.single().items.single()
    tally.check("the due item is typed", item.kind == DueKind.FIRST_CONTACT && item.subject.id == lead.id && item.title == "Acme" && !item.overdue) { "$item" }
    val later = crm.dueWork(admin, now = start.plusSeconds(2 * 86_400))
    tally.check("two days later it is overdue", later.single().overdue == 1u && later.single().items.single().overdue) { "$later" }
    tally.check("the clock did not move", crm.now() == start) { "${crm.now()}" }

    // The pool, claim and transfer.
    crm.release(admin, "lead", lead.id, "back to the pool")
    tally.check("the pool holds the lead", crm.pool(admin, "lead").map { (it as AnyRecord.Lead).record.id } == listOf(lead.id))
    val claimed = crm.claim(Actor(user = "bo", roles = listOf("sales")), "lead", lead.id)
    tally.check("a claim gives it to the claimer", (claimed as? AnyRecord.Lead)?.record?.owner == "bo") { "$claimed" }
    val moved = crm.transferWork(admin, fromUser = "bo", reason = "leaving", to = "ana")
    tally.check("transferred work names the new owner", moved.map { it.owner } == listOf("ana") && moved.single().rule == null) { "$moved" }

    // Bad input: typed validation errors naming the field.
    fun fieldsOf(name: String, want: List<String>, block: () -> Unit) {
        expectError<CrmException.Validation>(tally, name, block)
            ?.let { tally.check("$name names ${want.joinToString()}", it.fields == want) { "${it.fields}" } }
    }
    fieldsOf("release with a blank reason", listOf("reason")) { crm.release(admin, "lead", lead.id, " ") }
    fieldsOf("transfer with a blank reason", listOf("reason")) { crm.transferWork(admin, fromUser = "ana", reason = "") }
    fieldsOf("transfer from an empty user", listOf("from")) { crm.transferWork(admin, fromUser = "", reason = "x") }
    fieldsOf("transfer to the same user", listOf("to")) { crm.transferWork(admin, fromUser = "ana", reason = "x", to = "ana") }
    fieldsOf("route an unknown kind", listOf("entity")) { crm.route(admin, "spaceship", listOf(lead.id)) }
    fieldsOf("route a bad id", listOf("lead_id")) { crm.route(admin, "lead", listOf("not-a-uuid")) }
    fieldsOf("route an id twice", listOf("ids")) { crm.route(admin, "lead", listOf(lead.id, lead.id)) }
    fieldsOf("pool of an unknown kind", listOf("entity")) { crm.pool(admin, "spaceship") }
    fieldsOf("pool of a kind nobody owns", listOf("kind")) { crm.pool(admin, "activity") }
    fieldsOf("pool of a malformed team", listOf("team")) { crm.routePool(admin, "lead", team = "") }
    fieldsOf("claim a bad id", listOf("ticket_id")) { crm.claim(admin, "ticket", "42") }
    fieldsOf("route a lead by an empty id", listOf("lead_id")) { crm.routeLead(admin, "") }
    fieldsOf("score a bad id", listOf("lead_id")) { crm.scoreLead(admin, "x") }
    fieldsOf("due work at a time out of range", listOf("now")) { crm.dueWork(admin, now = Instant.MAX) }
    fieldsOf("an absence ending before it starts", listOf("away[0].until")) {
        crm.saveUser(admin, UserInput(id = "cy", name = "Cy", away = listOf(Absence(from = start, until = start.minusSeconds(1)))))
    }
    expectError<CrmException.NotFound>(tally, "route a missing lead") {
        crm.routeLead(admin, "0194a000-0000-7000-8000-000000000000")
    }
}

// ----- customer value: scoreRfm and scoreRfmColumns ------------------------------

fun rfm(tally: Tally) {
    val asOf = Instant.parse("2025-01-01T00:00:00Z")
    fun buy(customer: String, at: String, amount: String) = Purchase(customer, Instant.parse(at), amount)
    val purchases = listOf(
        buy("ann", "2024-12-30T12:00:00Z", "50.00"),
        buy("ann", "2024-12-01T12:00:00Z", "30"),
        buy("ann", "2024-11-01T12:00:00Z", "20.5"),
        buy("ann", "2024-12-31T09:00:00Z", "-0.50"),         // a refund
        buy("bob", "2024-06-01T12:00:00Z", "500.00"),
        buy("dee", "2024-10-01T12:00:00Z", "40.00"),
        buy("dee", "2024-10-15T12:00:00Z", "40.00"),
        buy("eve", "2025-02-01T12:00:00Z", "99.00"),          // after asOf
        buy("fay", "2024-12-01T12:00:00Z", "-5.00"),          // refunds only
    )
    val result = scoreRfm(purchases, asOf)
    tally.check("rfm: customers in id order, the refund-only one left out", result.customers.map { it.customer } == listOf("ann", "bob", "dee")) { "${result.customers}" }
    tally.check("rfm: what was left out is counted", result.skipped == RfmSkipped(future = 1uL, refundOnly = 1uL)) { "${result.skipped}" }
    val ann = result.customers.first()
    tally.check("rfm: a refund lowers monetary but is not a purchase", ann.monetary == "100.00" && ann.frequency == 3uL && ann.recencyDays == 2L) { "$ann" }
    tally.check("rfm: first purchase and tenure", ann.firstPurchase == Instant.parse("2024-11-01T12:00:00Z") && ann.tenureDays == 61L) { "$ann" }
    tally.check("rfm: typed scores, segment and tier", ann.r == 4.toUByte() && ann.fm == 3.toUByte() && ann.segment == "Potential Loyalist" && ann.tier == RfmTier.B) { "$ann" }
    // Tiers and signals are enums: a `when` over them is exhaustive.
    val said = result.customers.map {
        val action = when (it.signal) {
            RfmSignal.ACTIVE -> "thank"
            RfmSignal.AT_RISK -> "call"
            RfmSignal.DORMANT -> "win back"
            RfmSignal.CHURNED -> "let go"
        }
        val tier = when (it.tier) { RfmTier.A -> "top"; RfmTier.B -> "grow"; RfmTier.C -> "keep" }
        "${it.customer}: $tier, $action"
    }
    tally.check("rfm: signals and tiers read as enums", said == listOf("ann: grow, thank", "bob: grow, call", "dee: keep, win back")) { "$said" }
    tally.check("rfm: canonical form", canonical(RfmTier.A) == "A" && canonical(RfmSignal.AT_RISK) == "at_risk")

    // Empty input.
    val empty = scoreRfm(listOf(), asOf)
    tally.check("rfm: no purchases, no customers", empty.customers.isEmpty() && empty.skipped == RfmSkipped(0uL, 0uL)) { "$empty" }

    // The configuration: JSON text, typed errors naming the path.
    val mean = scoreRfm(purchases, asOf, configJson = """{"monetary": "mean", "ties": "position"}""")
    tally.check("rfm: a config is used", mean.customers.first().monetary == "33.33") { "${mean.customers.first()}" }
    expectError<CrmException.Config>(tally, "rfm: bins out of range") {
        scoreRfm(purchases, asOf, configJson = """{"bins": 11}""")
    }?.let { tally.check("rfm: bad bins names rfm.bins", it.path == "rfm.bins") { "$it" } }
    expectError<CrmException.Config>(tally, "rfm: 4 bins without segments") {
        scoreRfm(purchases, asOf, configJson = """{"bins": 4}""")
    }?.let { tally.check("rfm: names rfm.segments", it.path == "rfm.segments") { "$it" } }
    expectError<CrmException.Config>(tally, "rfm: unknown key") {
        scoreRfm(purchases, asOf, configJson = """{"binz": 4}""")
    }?.let { tally.check("rfm: an unknown key names rfm", it.path == "rfm" && it.reason.contains("binz")) { "$it" } }
    expectError<CrmException.Config>(tally, "rfm: config not JSON") {
        scoreRfm(purchases, asOf, configJson = "{")
    }?.let { tally.check("rfm: bad JSON names rfm", it.path == "rfm") { "$it" } }

    // Amounts: decimal strings with at most the minor unit's places.
    fun amountError(name: String, amount: String, config: String? = null) {
        expectError<CrmException.Validation>(tally, "rfm: $name") {
            scoreRfm(listOf(buy("a", "2024-12-01T00:00:00Z", "1.00"), buy("b", "2024-12-01T00:00:00Z", amount)), asOf, config)
        }?.let { tally.check("rfm: $name names purchases[1].amount", it.fields == listOf("purchases[1].amount") && it.value == amount) { "$it" } }
    }
    amountError("too many decimals", "1.005")
    amountError("not a number", "12,50")
    amountError("a float's exponent", "1e3")
    amountError("cents with minor_units 0", "1.5", """{"minor_units": 0}""")
    val yen = scoreRfm(listOf(buy("a", "2024-12-01T00:00:00Z", "1500")), asOf, """{"minor_units": 0}""")
    tally.check("rfm: minor_units 0", yen.customers.single().monetary == "1500") { "$yen" }
    expectError<CrmException.Validation>(tally, "rfm: a time out of range") {
        scoreRfm(listOf(Purchase("a", Instant.MIN, "1")), asOf)
    }?.let { tally.check("rfm: names purchases[0].at", it.fields == listOf("purchases[0].at")) { "$it" } }
    expectError<CrmException.Validation>(tally, "rfm: asOf out of range") {
        scoreRfm(listOf(), Instant.MAX)
    }?.let { tally.check("rfm: names as_of", it.fields == listOf("as_of")) { "$it" } }

    // Columns: the same scores, for many purchases.
    val ids = listOf("ann", "bob", "dee", "eve", "fay")
    val micros = { t: Instant -> t.epochSecond * 1_000_000 + t.nano / 1_000 }
    val cols = scoreRfmColumns(
        customers = purchases.map { ids.indexOf(it.customer).toLong() },
        atMicros = purchases.map { micros(it.at) },
        amountsMinor = purchases.map { BigDecimal(it.amount).movePointRight(2).longValueExact() },
        asOf = asOf,
    )
    tally.check("rfm columns: ids, skipped", cols.customer == listOf(0L, 1L, 2L) && cols.skipped == result.skipped) { "$cols" }
    val same = result.customers.withIndex().all { (i, row) ->
        cols.r[i].toUByte() == row.r && cols.f[i].toUByte() == row.f && cols.m[i].toUByte() == row.m && cols.fm[i].toUByte() == row.fm &&
            cols.segmentNames[cols.segment[i].toInt()] == row.segment && cols.tier[i] == row.tier && cols.signal[i] == row.signal &&
            cols.recencyDays[i] == row.recencyDays && cols.frequency[i] == row.frequency && cols.tenureDays[i] == row.tenureDays &&
            BigDecimal.valueOf(cols.monetaryMinor[i], cols.minorUnits.toInt()) == BigDecimal(row.monetary) &&
            cols.firstPurchaseMicros[i] == micros(row.firstPurchase)
    }
    tally.check("rfm columns: the same values as the rows", same) { "$cols" }
    // Many purchases on several threads give what one thread gives.
    val n = 300_000
    val many = Triple(
        List(n) { (it * 7919L) % 5000 },
        List(n) { micros(asOf) - (it % 1000) * 86_400_000_000L - 1 },
        List(n) { ((it * 31L) % 20_000) - 1_000 },
    )
    val one = scoreRfmColumns(many.first, many.second, many.third, asOf)
    val four = scoreRfmColumns(many.first, many.second, many.third, asOf, threads = 4u)
    // The score columns are ByteArrays, which a data class compares by identity.
    val sameColumns = one.copy(r = four.r, f = four.f, m = four.m, fm = four.fm) == four &&
        one.r.contentEquals(four.r) && one.f.contentEquals(four.f) && one.m.contentEquals(four.m) && one.fm.contentEquals(four.fm)
    tally.check("rfm columns: 4 threads give what 1 gives", sameColumns && one.customer.size == 5000) { "${one.customer.size}" }
    expectError<CrmException.Validation>(tally, "rfm columns: lengths differ") {
        scoreRfmColumns(listOf(1L, 2L), listOf(0L), listOf(100L, 200L), asOf)
    }?.let { tally.check("rfm columns: names columns", it.fields == listOf("columns")) { "$it" } }
    expectError<CrmException.Validation>(tally, "rfm columns: zero threads") {
        scoreRfmColumns(listOf(), listOf(), listOf(), asOf, threads = 0u)
    }?.let { tally.check("rfm columns: names threads", it.fields == listOf("threads")) { "$it" } }
    expectError<CrmException.Config>(tally, "rfm columns: bad config") {
        scoreRfmColumns(listOf(), listOf(), listOf(), asOf, configJson = """{"threads": 0}""")
    }?.let { tally.check("rfm columns: names rfm.threads", it.path == "rfm.threads") { "$it" } }
}

// ----- customer value in the engine: refreshCustomerValue ------------------------

fun customerValue(tally: Tally) {
    val start = Instant.parse("2026-01-05T09:00:00Z")
    val crm = Crm(now = start, seed = 5uL, configJson = """{"rfm": {"ties": "equal"}}""")
    val admin = Actor(user = "root", roles = listOf("admin"))
    val sue = Actor(user = "sue", roles = listOf("supervisor"), team = "east")
    val ana = Actor(user = "ana", roles = listOf("sales"), team = "east")
    crm.saveTeam(admin, TeamInput(id = "east", name = "East", supervisor = "sue"))
    crm.saveUser(admin, UserInput(id = "ana", name = "Ana", team = "east", roles = listOf("sales")))
    val weekly = crm.createCustomer(ana, NewCustomer(name = "Weekly", owner = "ana"))
    val once = crm.createCustomer(ana, NewCustomer(name = "Once", owner = "ana"))
    tally.check("value: a new customer knows since when it is a prospect", weekly.stage == "prospect" && weekly.stageSince == start) { "$weekly" }
    // A deal won and its contract signed now: one purchase of the customer.
    fun buy(customer: Customer, amount: String) {
        val deal = crm.createOpportunity(ana, NewOpportunity(customer = customer.id, name = "deal", expectedAmount = Money(amount, "EUR")))
        crm.advanceOpportunity(ana, deal.id)
        crm.signContract(sue, crm.winOpportunity(ana, deal.id).contract.id)
    }
    buy(weekly, "100.00")
    buy(once, "50.00")
    repeat(2) {
        crm.advanceClock(days = 7)
        buy(weekly, "100.00")
    }
    crm.advanceClock(days = 46)
    fun customer(id: String) = (crm.get(ana, "customer", id) as AnyRecord.Customer).record
    val before = customer(weekly.id)

    // Nothing is written without the right to edit every customer it would change.
    expectError<CrmException.Forbidden>(tally, "value: an outsider may not refresh") {
        crm.refreshCustomerValue(Actor(user = "zed", roles = listOf("sales"), team = "west"))
    }
    tally.check("value: nothing written when forbidden", customer(weekly.id) == before) { "${customer(weekly.id)}" }

    val refresh: ValueRefresh = crm.refreshCustomerValue(admin)      // asOf: the engine's clock
    tally.check("value: a typed refresh", refresh == ValueRefresh(
        scored = 2uL, tiersChanged = 2uL, stagesChanged = 2uL, batches = 1uL, skipped = RfmSkipped(0uL, 0uL),
    )) { "$refresh" }
    val dormant = customer(weekly.id)
    tally.check("value: a weekly buyer silent for 46 days is dormant, tier B, since now",
        before.stage == "new" && before.tier == null &&
            dormant.stage == "dormant" && dormant.tier == "B" && dormant.stageSince == crm.now() && dormant.version > before.version) { "$before -> $dormant" }
    val active = customer(once.id)
    tally.check("value: a single buyer is active, tier C", active.stage == "active" && active.tier == "C") { "$active" }
    tally.check("value: the change is a value event", crm.history(ana, "customer", weekly.id).last().action == "value")
    val again = crm.refreshCustomerValue(admin)
    tally.check("value: nothing changed, nothing written", again.scored == 2uL && again.tiersChanged == 0uL && again.stagesChanged == 0uL && again.batches == 0uL) { "$again" }

    // The dormant customer comes due to its owner as a win-back.
    crm.advanceClock(days = 4)
    val work = crm.dueWork(ana).single()
    val item = work.items.single()
    val what = when (item.kind) {                                     // exhaustive: WIN_BACK is a case
        DueKind.FIRST_CONTACT, DueKind.FOLLOW_UP -> "call the lead"
        DueKind.TASK -> "do the task"
        DueKind.WIN_BACK -> "win back ${item.title}"
        DueKind.INSTALLMENT -> "chase the payment"
        DueKind.SLA, DueKind.ESCALATION -> "work the ticket"
        DueKind.SURVEY -> "send the survey"
        DueKind.CARE -> "take care of ${item.title}: ${item.care?.action}"
    }
    tally.check("value: a win-back is due to the owner",
        work.user == "ana" && work.overdue == 1u && item.kind == DueKind.WIN_BACK && what == "win back Weekly" &&
            item.subject == RecordKey("customer", weekly.id) && item.overdue &&
            item.dueAt == dormant.stageSince!!.plusSeconds(3 * 86_400)) { "$work" }
    tally.check("value: canonical kind", canonical(DueKind.WIN_BACK) == "win_back")
    // An earlier asOf (which scores, and moves stages, as of then).
    val early = crm.refreshCustomerValue(admin, asOf = start.plusSeconds(86_400))
    tally.check("value: contracts after asOf are left out", early.skipped.future == 2uL) { "$early" }

    expectError<CrmException.Validation>(tally, "value: asOf out of range") {
        crm.refreshCustomerValue(admin, asOf = Instant.MAX)
    }?.let { tally.check("value: names as_of", it.fields == listOf("as_of")) { "$it" } }
    expectError<CrmException.Config>(tally, "value: contracts in two currencies") {
        val usd = crm.createOpportunity(ana, NewOpportunity(customer = once.id, name = "usd", expectedAmount = Money("10.00", "USD")))
        crm.advanceOpportunity(ana, usd.id)
        crm.signContract(sue, crm.winOpportunity(ana, usd.id).contract.id)
        crm.refreshCustomerValue(admin)
    }?.let { tally.check("value: names value_currency", it.path == "value_currency") { "$it" } }
}

// ----- duplicate matching: DedupeScan and explainMatch ----------------------------------

fun dedupe(tally: Tally) {
    fun person(first: String?, last: String?, email: String? = null, phone: String? = null, company: String? = null) =
        MatchRecord(firstName = first, lastName = last, email = email, phone = phone, company = company)
    val rows = listOf(
        person("Jonathan", "Smith", "jon.smith@acme.com", "+1 415 555 0134", "Acme Inc."),
        person("Jonathon", "SMITH", phone = "(415) 555-0134", company = "ACME Incorporated"),
        person("Maria", "Garcia", "maria@example.org", "+34 612 345 678"),
        person("Maria", "Garcia", "mgarcia@other.org", "+34 699 999 999"),
        MatchRecord(),
        MatchRecord(),
    )
    DedupeScan(rows).use { scan ->
        val pairs = scan.pairs()
        tally.check("dedupe: a typo and other formats are found", pairs.map { Triple(it.left, it.right, it.rule) } == listOf(Triple(0u, 1u, "name_phone"))) { "$pairs" }
        tally.check("dedupe: a probability and a weight", pairs.single().probability in 0.9..1.0 && pairs.single().weight > 0) { "$pairs" }
        tally.check("dedupe: blanks never match", scan.clusterIds() == listOf(0u, 0u, 2u, 3u, 4u, 5u)) { "${scan.clusterIds()}" }
        val cluster = scan.clusters().single()
        tally.check("dedupe: one cluster", cluster.id == 0u && cluster.rows == listOf(0u, 1u) && cluster.pairs == 1uL) { "$cluster" }
        tally.check("dedupe: len and candidate pairs", scan.len() == 6uL && scan.candidatePairs() >= 2uL) { "${scan.len()} ${scan.candidatePairs()}" }
        val why = scan.explain(0u, 1u)
        val levels = why.fields.associate { it.field to it.level }
        tally.check("dedupe: an explanation by field", why.matched && levels["phone"] == "exact" && levels["email"] == "missing" && why.rule == "name_phone") { "$why" }
        val model = parseJson(scan.modelJson()) as Map<*, *>
        tally.check("dedupe: the model is JSON", (model["fields"] as Map<*, *>).keys.contains("first_name")) { scan.modelJson() }
        val blocking = parseJson(scan.blockingJson()) as List<*>
        tally.check("dedupe: blocking reports are JSON", (blocking.first() as Map<*, *>)["key"] == "email") { scan.blockingJson() }
        expectError<CrmException.Validation>(tally, "dedupe: explain a row out of range") { scan.explain(0u, 6u) }
            ?.let { tally.check("dedupe: names right", it.fields == listOf("right")) { "$it" } }
        // The same scan on two threads.
        DedupeScan(rows, threads = 2u).use { two ->
            tally.check("dedupe: 2 threads give what 1 gives", two.pairs() == pairs && two.clusterIds() == scan.clusterIds() && two.modelJson() == scan.modelJson())
        }
    }
    val one = explainMatch(person("Garcia", "Maria", "m.garcia@acme.es"), person("Maria", "García", "M.Garcia@acme.es"), """{"method": "rules"}""")
    tally.check("dedupe: explainMatch tries names swapped", one.matched && one.namesSwapped && one.decidedBy == "rule name_email") { "$one" }
    fun configError(config: String, field: String) {
        expectError<CrmException.Validation>(tally, "dedupe: config $config") { DedupeScan(rows, configJson = config) }
            ?.let { tally.check("dedupe: $config names $field", it.fields == listOf(field)) { "$it" } }
        expectError<CrmException.Validation>(tally, "explainMatch: config $config") { explainMatch(rows[0], rows[1], config) }
            ?.let { tally.check("explainMatch: $config names $field", it.fields == listOf(field)) { "$it" } }
    }
    configError("""{"threshold": 1.5}""", "dedupe.threshold")
    configError("""{"default_region": "ZZ"}""", "dedupe.default_region")
    configError("""{"treshold": 0.5}""", "dedupe")
    configError("""{"threshold": "high"}""", "dedupe")
    expectError<CrmException.Validation>(tally, "dedupe: zero threads") { DedupeScan(rows, threads = 0u) }
        ?.let { tally.check("dedupe: names threads", it.fields == listOf("threads")) { "$it" } }
}

// ----- duplicates in the store: findDuplicates, merge, unmerge ------------------------

fun duplicatesInTheStore(tally: Tally) {
    val crm = Crm(now = Instant.parse("2026-03-02T09:00:00Z"), seed = 3uL)
    val root = Actor(user = "root", roles = listOf("admin"))
    val acme = crm.createCustomer(root, NewCustomer(name = "Acme Widgets Ltd", phone = "+1 415 555 0134"))
    crm.advanceClock(hours = 1)
    val acme2 = crm.createCustomer(root, NewCustomer(name = "ACME WIDGETS LIMITED", email = "info@acme.example"))
    val maria = crm.addContact(root, NewContact(customer = acme2.id, name = "Maria Garcia"))
    val found: List<DuplicateMatch> = crm.findDuplicates(root, MatchRecord(company = "Acme Widgets Inc.", phone = "(415) 555-0134"))
    tally.check("duplicates: a reformatted phone finds the customer",
        found.map { it.record } == listOf(RecordKey("customer", acme.id)) && found.single().explanation.matched &&
            found.single().explanation.fields.first { it.field == "phone" }.level == "exact") { "$found" }
    val lead = crm.createLead(root, NewLead(company = "Acme Widgets", phone = "+1 (415) 555-0134"))
    tally.check("duplicates: of a stored lead", crm.findDuplicatesOf(root, "lead", lead.id).map { it.record.id } == listOf(acme.id))

    val group = listOf(RecordKey("customer", acme.id), RecordKey("customer", acme2.id))
    val outcome: MergeOutcome = crm.merge(root, MergeInput(records = group, reason = "the same company"))
    val survivor = (outcome.survivor as AnyRecord.Customer).record
    tally.check("merge: the oldest survives and takes the empty fields",
        survivor.id == acme.id && survivor.email == "info@acme.example" && outcome.merged == group.drop(1) &&
            outcome.moved == listOf(RecordKey("contact", maria.id))) { "$outcome" }
    fun customerOf(contactId: String) = (crm.get(root, "contact", contactId) as AnyRecord.Contact).record.customer
    fun mergedInto(id: String) = (crm.get(root, "customer", id) as AnyRecord.Customer).record.mergedInto
    tally.check("merge: the contact moved, the other is marked",
        customerOf(maria.id) == acme.id && mergedInto(acme2.id) == RecordKey("customer", acme.id))
    val restored = crm.unmerge(root, "customer", acme.id, "two companies after all", event = outcome.event)
    tally.check("unmerge: fields, contact and mark restored",
        (restored as AnyRecord.Customer).record.email == null && customerOf(maria.id) == acme2.id && mergedInto(acme2.id) == null) { "$restored" }
    expectError<CrmException.Conflict>(tally, "unmerge: twice") { crm.unmerge(root, "customer", acme.id, "twice", event = outcome.event) }

    fun fieldOf(name: String, field: String, block: () -> Unit) =
        expectError<CrmException.Validation>(tally, "merge: $name") { block() }
            ?.let { tally.check("merge: $name names $field", it.fields == listOf(field)) { "$it" } }
    fieldOf("empty reason", "reason") { crm.merge(root, MergeInput(records = group, reason = " ")) }
    fieldOf("one record", "records") { crm.merge(root, MergeInput(records = group.take(1), reason = "alone")) }
    fieldOf("unknown rule", "rule") { crm.merge(root, MergeInput(records = group, rule = "biggest", reason = "x")) }
    fieldOf("malformed event", "event") { crm.unmerge(root, "customer", acme.id, "x", event = "nope") }
}

// ----- a file store: Crm.open ---------------------------------------------------------

// ----- quotes and payment terms: free functions, typed and exact ---------------------------

fun payments(tally: Tally) {
    // The README's example.
    val thirtySeventy = """{"name": "30/70", "lines": [
        {"label": "down payment", "percent": "30", "due": {"days_after": 0}},
        {"label": "on acceptance", "percent": "70", "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"""
    val plan = splitPayments(Money("1000.00", "EUR"), thirtySeventy, base = "2026-01-15")
    tally.check("30/70 amounts", plan.map { it.amount } == listOf(Money("300.00", "EUR"), Money("700.00", "EUR"))) { "$plan" }
    tally.check("30/70 dates", plan.map { it.dueDate } == listOf("2026-01-15", null)) { "$plan" }
    tally.check("30/70 milestone", plan[1].milestone == "delivery_accepted" && plan[0].milestone == null) { "$plan" }
    tally.check("30/70 due rule", plan[0].dueJson == """{"days_after":0}""") { plan[0].dueJson }
    val dated = reachMilestone(plan, "delivery_accepted", on = "2026-03-01")
    tally.check("milestone reached", dated.map { it.dueDate } == listOf("2026-01-15", "2026-03-31")) { "$dated" }
    tally.check("another milestone changes nothing", reachMilestone(plan, "signed", "2026-03-01") == plan)

    val thirds = """{"name": "thirds", "lines": [
        {"label": "1/3", "percent": "33.33", "due": {"days_after": 0}},
        {"label": "2/3", "percent": "33.33", "due": {"days_after": 30}},
        {"label": "3/3", "percent": "33.34", "due": {"days_after": 60}}]}"""
    val eur = splitPayments(Money("5.47", "EUR"), thirds, "2026-01-15")
    tally.check("5.47 in thirds", eur.map { it.amount.amount } == listOf("1.82", "1.82", "1.83")) { "$eur" }
    tally.check("5.47 sums exactly", eur.fold(BigDecimal.ZERO) { s, i -> s + BigDecimal(i.amount.amount) } == BigDecimal("5.47"))
    tally.check("thirds dated", eur.last().dueDate == "2026-03-16") { "$eur" }
    val yen = splitPayments(Money("1000", "JPY"), thirds)
    tally.check("JPY in whole yen", yen.map { it.amount.amount } == listOf("333", "333", "334") && yen.all { it.dueDate == null }) { "$yen" }

    fun fieldsOf(name: String, want: List<String>, block: () -> Unit) {
        val err = expectError<CrmException.Validation>(tally, name, block) ?: return
        tally.check("$name: fields", err.fields == want) { "${err.fields}" }
    }
    fieldsOf("percents not 100", listOf("terms.lines")) {
        splitPayments(Money("100.00", "EUR"), """{"name": "bad", "lines": [{"label": "a", "percent": "99.9999", "due": {"days_after": 0}}]}""")
    }
    fieldsOf("terms not JSON", listOf("terms")) { splitPayments(Money("1", "EUR"), "{") }
    fieldsOf("bad total", listOf("total.amount")) { splitPayments(Money("1e3", "EUR"), thirds) }
    fieldsOf("bad base", listOf("base")) { splitPayments(Money("1", "EUR"), thirds, "15.01.2026") }
    fieldsOf("bad milestone date", listOf("on")) { reachMilestone(plan, "delivery_accepted", "tomorrow") }
    fieldsOf("bad due rule", listOf("installments[1].due")) {
        reachMilestone(plan.mapIndexed { i, it -> if (i == 1) it.copy(dueJson = "{}") else it }, "delivery_accepted", "2026-03-01")
    }

    // The README's quote.
    val quote = priceQuote(
        listOf(
            QuoteLine(product = "seat", quantity = "3", discountPercent = "10", taxPercent = "19"),
            QuoteLine(product = "sms", quantity = "1000", taxPercent = "19"),
        ),
        currency = "EUR",
        priceListJson = """{"name": "2026", "currency": "EUR", "prices": {"seat": "49.90", "sms": "0.0125"}}""",
    )
    tally.check("quote lines", quote.lines.map { it.net.amount to it.tax.amount } == listOf("134.73" to "25.60", "12.50" to "2.38")) { "$quote" }
    tally.check("quote unit price from the list", quote.lines[1].unitPrice == "0.0125" && quote.lines[1].gross == "12.5000") { "${quote.lines[1]}" }
    tally.check("quote sums", listOf(quote.subtotal, quote.discount, quote.tax, quote.total).map { it.amount } == listOf("147.23", "14.97", "27.98", "175.21")) { "$quote" }
    tally.check("quote default tax", priceQuote(listOf(QuoteLine(product = "x", quantity = "1", unitPrice = "9.99")), "EUR").tax == Money("0.00", "EUR"))
    fieldsOf("quote without a price", listOf("lines[0].unit_price")) { priceQuote(listOf(QuoteLine(product = "x", quantity = "1")), "EUR") }
    fieldsOf("quote quantity 0", listOf("lines[0].quantity")) { priceQuote(listOf(QuoteLine(product = "x", quantity = "0", unitPrice = "1")), "EUR") }
    fieldsOf("quote exponent quantity", listOf("lines[0].quantity")) { priceQuote(listOf(QuoteLine(product = "x", quantity = "1e2", unitPrice = "1")), "EUR") }
    fieldsOf("quote unknown currency", listOf("currency")) { priceQuote(listOf(), "EURO") }
    fieldsOf("price list in another currency", listOf("price_list")) {
        priceQuote(listOf(), "EUR", """{"name": "x", "currency": "USD", "prices": {}}""")
    }
}

// ----- quote versions and payment plans in the engine: typed records, typed errors ----------

fun enginePayments(tally: Tally) {
    val crm = Crm(now = Instant.parse("2026-01-15T09:00:00Z"), seed = 5uL)
    val root = Actor(user = "root", roles = listOf("admin"))   // the default policy: sales users may not edit contracts
    val ana = Actor(user = "ana", roles = listOf("sales"))
    val acme = crm.createCustomer(ana, NewCustomer(name = "Acme"))
    fun fieldsOf(name: String, want: List<String>, block: () -> Unit) {
        val err = expectError<CrmException.Validation>(tally, name, block) ?: return
        tally.check("$name: fields", err.fields == want) { "${err.fields}" }
    }

    // Quote v1, v2, accept v2, win: the contract is v2's total with its lines.
    val prices = """{"name": "2026", "currency": "EUR", "prices": {"seat": "49.90"}}"""
    val quoted = crm.createOpportunity(ana, NewOpportunity(customer = acme.id, name = "Seats"))
    val v1 = crm.addQuote(ana, quoted.id, QuoteInput(listOf(QuoteLine(product = "seat", quantity = "10", taxPercent = "19")), priceListJson = prices))
    tally.check("quote v1", v1.quotes.single().let { it.version == 1u && it.status == QuoteStatus.OPEN && it.priced.total == Money("593.81", "EUR") && it.priceList == "2026" }) { "${v1.quotes}" }
    val v2 = crm.addQuote(ana, quoted.id, QuoteInput(
        listOf(QuoteLine(product = "seat", quantity = "10", discountPercent = "10", taxPercent = "19")),
        priceListJson = prices, validUntil = "2026-01-31", note = "10 % off",
    ))
    tally.check("quote v2 supersedes v1", v2.quotes.map { it.status } == listOf(QuoteStatus.SUPERSEDED, QuoteStatus.OPEN) && v2.quotes[1].priced.total.amount == "534.43" && v2.quotes[1].validUntil == "2026-01-31" && v2.quotes[1].lines[0].discountPercent == "10") { "${v2.quotes}" }
    fieldsOf("accepting a superseded quote", listOf("version")) { crm.acceptQuote(ana, quoted.id, 1u) }
    val accepted = crm.acceptQuote(ana, quoted.id, 2u)
    tally.check("accepting v2 sets the expected amount", accepted.quotes[1].status == QuoteStatus.ACCEPTED && accepted.expectedAmount == Money("534.43", "EUR")) { "$accepted" }
    crm.advanceOpportunity(ana, quoted.id)
    val won = crm.winOpportunity(ana, quoted.id).contract
    tally.check("the contract is v2", won.amount == Money("534.43", "EUR") && won.quoteVersion == 2u && won.lines.map { it.product to it.total.amount } == listOf("seat" to "534.43") && won.paymentPlan == null) { "$won" }
    fieldsOf("a quote without lines", listOf("lines")) { crm.addQuote(ana, crm.createOpportunity(ana, NewOpportunity(customer = acme.id, name = "Empty")).id, QuoteInput(listOf(), currency = "EUR")) }

    // A 30/70 plan on 1,000.00: signing dates the first line.
    val deal = crm.createOpportunity(ana, NewOpportunity(customer = acme.id, name = "Rollout", expectedAmount = Money("1000.00", "EUR")))
    crm.advanceOpportunity(ana, deal.id)
    val contract = crm.winOpportunity(ana, deal.id).contract
    val terms = """{"name": "30/70", "lines": [
        {"label": "on signing", "percent": "30", "due": {"milestone": {"event": "contract_signed", "plus_days": 0}}},
        {"label": "on acceptance", "percent": "70", "due": {"milestone": {"event": "delivery_accepted", "plus_days": 30}}}]}"""
    expectError<CrmException.Forbidden>(tally, "a sales user may not set a plan") { crm.setPaymentPlan(ana, contract.id, terms) }
    fieldsOf("terms not JSON", listOf("terms")) { crm.setPaymentPlan(root, contract.id, "{") }
    val planned = crm.setPaymentPlan(root, contract.id, terms).paymentPlan!!
    tally.check("30/70 plan", planned.terms == "30/70" && planned.installments.map { it.amount.amount } == listOf("300.00", "700.00") && planned.installments.all { it.dueDate == null } && planned.installments[0].dueJson == """{"milestone":{"event":"contract_signed","plus_days":0}}""") { "$planned" }
    crm.advanceClock(days = 1)
    val signed = crm.signContract(root, contract.id)
    tally.check("signing dates the first line", signed.paymentPlan!!.installments.map { it.dueDate } == listOf("2026-01-16", null) && signed.paymentPlan!!.milestones == mapOf("contract_signed" to "2026-01-16")) { "${signed.paymentPlan}" }

    // A partial payment, then one that pays the line, which bounces and reopens it.
    val partial = crm.recordPayment(root, contract.id, PaymentInput(id = "b1", amount = Money("100.00", "EUR"))).paymentPlan!!
    tally.check("a partial payment", partial.installments[0].paid == Money("100.00", "EUR") && partial.installments[0].status("2026-01-16") == InstallmentStatus.PARTIALLY_PAID && partial.payments[0].on == "2026-01-16" && partial.outstanding() == Money("900.00", "EUR")) { "$partial" }
    fieldsOf("a reused payment id", listOf("id")) { crm.recordPayment(root, contract.id, PaymentInput(id = "b1", amount = Money("5.00", "EUR"))) }
    fieldsOf("a payment in another currency", listOf("amount")) { crm.recordPayment(root, contract.id, PaymentInput(id = "b9", amount = Money("5.00", "USD"))) }
    fieldsOf("a malformed payment amount", listOf("amount.amount")) { crm.recordPayment(root, contract.id, PaymentInput(id = "b9", amount = Money("5e0", "EUR"))) }
    fieldsOf("a malformed payment date", listOf("on")) { crm.recordPayment(root, contract.id, PaymentInput(id = "b9", amount = Money("5.00", "EUR"), on = "16.01.2026")) }
    val paid = crm.recordPayment(root, contract.id, PaymentInput(id = "b2", amount = Money("200.00", "EUR"), to = listOf(1u))).paymentPlan!!
    tally.check("the first line paid", paid.installments[0].status("2026-01-16") == InstallmentStatus.PAID && paid.payments[1].allocations == listOf(Allocation(1u, Money("200.00", "EUR")))) { "$paid" }
    val bounced = crm.reversePayment(root, contract.id, "b2", "returned by the bank").paymentPlan!!
    tally.check("a bounce reopens it", bounced.installments[0].paid == Money("100.00", "EUR") && bounced.installments[0].status("2026-01-17") == InstallmentStatus.OVERDUE && bounced.payments[1].reversed == Reversal("2026-01-16", "returned by the bank")) { "$bounced" }
    expectError<CrmException.Forbidden>(tally, "a sales user may not write off") { crm.writeOffInstallment(ana, contract.id, 1u, "goodwill") }
    fieldsOf("a blank reschedule reason", listOf("reason")) { crm.reschedulePayments(root, contract.id, terms, " ") }

    // Delivery accepted dates the rest; receivables and their aging, collections.
    crm.activateContract(root, contract.id)
    val delivered = crm.reachMilestone(root, contract.id, "delivery_accepted", on = "2026-02-01")
    tally.check("acceptance dates the second line", delivered.status == "active" && delivered.paymentPlan!!.installments[1].dueDate == "2026-03-03") { "$delivered" }
    val owed = crm.receivables(root, "2026-03-20", customer = acme.id)
    tally.check("receivables", owed.size == 1 && owed[0].let {
        it.contract == contract.id && it.number == contract.number && it.owner == "ana" && it.total.amount == "1000.00" &&
            it.paid.amount == "100.00" && it.outstanding.amount == "900.00" && it.credit.amount == "0.00"
    }) { "$owed" }
    tally.check("aging", owed[0].aging.let {
        it.current.amount == "0.00" && it.days1To30.amount == "700.00" && it.days31To60.amount == "0.00" && it.days61To90.amount == "200.00" && it.days90Plus.amount == "0.00"
    }) { "${owed[0].aging}" }
    fieldsOf("a bad receivables date", listOf("today")) { crm.receivables(root, "soon") }
    tally.check("collected", crm.collected(root, "2026-01-01", "2026-02-01") == listOf(Collected("ana", Money("100.00", "EUR"), 1uL))) { "${crm.collected(root, "2026-01-01", "2026-02-01")}" }
    tally.check("nothing collected before", crm.collected(root, "2025-01-01", "2026-01-01").isEmpty())

    // Paid in full and delivered: the contract completes itself.
    val done = crm.recordPayment(root, contract.id, PaymentInput(id = "b3", amount = Money("900.00", "EUR")))
    val plan = done.paymentPlan!!
    tally.check("paid and delivered completes the contract", done.status == "completed" && plan.isSettled() && plan.total() == Money("1000.00", "EUR") && plan.paid() == Money("1000.00", "EUR") && plan.outstanding() == Money("0.00", "EUR")) { "$done" }
    tally.check("the completion is its own event", crm.history(root, "contract", contract.id).takeLast(2).map { it.action } == listOf("payment", "complete"))
}

// ----- the service desk: Calendar, SLA clocks, escalation, surveys, department tasks ------

fun serviceDesk(tally: Tally) {
    fun at(text: String): Instant = Instant.parse(text)
    fun fieldsOf(name: String, want: List<String>, block: () -> Unit) {
        val err = expectError<CrmException.Validation>(tally, name, block) ?: return
        tally.check("$name: fields", err.fields == want) { "${err.fields}" }
    }

    // A working calendar: a lunch break, a daylight-saving change, holidays.
    val berlinJson = """{"time_zone": "Europe/Berlin",
        "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]},
        "holidays": ["2026-12-24", "2026-12-25", "2027-01-01"]}"""
    Calendar(berlinJson).use { berlin ->
        tally.check("calendar: over the weekend the clocks go forward",
            berlin.add(at("2026-03-27T15:00:00Z"), 120) == at("2026-03-30T08:00:00Z")) { "${berlin.add(at("2026-03-27T15:00:00Z"), 120)}" }
        tally.check("calendar: over Christmas", berlin.add(at("2026-12-24T09:00:00Z"), 480) == at("2026-12-29T09:00:00Z"))
        tally.check("calendar: betweenMinutes",
            berlin.betweenMinutes(from = at("2026-03-27T15:00:00Z"), to = at("2026-03-30T08:00:00Z")) == 120L &&
                berlin.betweenMinutes(at("2026-03-02T09:00:00Z"), at("2026-03-02T08:00:00Z")) == -60L)
        tally.check("calendar: betweenSeconds", berlin.betweenSeconds(at("2026-03-02T08:00:00Z"), at("2026-03-02T08:00:30Z")) == 30L)
        tally.check("calendar: isWorking",
            berlin.isWorking(at("2026-03-02T08:00:00Z")) && !berlin.isWorking(at("2026-03-02T11:30:00Z")) &&
                !berlin.isWorking(at("2026-12-24T09:00:00Z")))
        tally.check("calendar: its zone and JSON", berlin.timeZone() == "Europe/Berlin" &&
            Calendar(berlin.toJson()).use { it.toJson() == berlin.toJson() }) { berlin.toJson() }
        fieldsOf("calendar: negative minutes", listOf("minutes")) { berlin.add(at("2026-03-02T06:00:00Z"), -5) }
        fieldsOf("calendar: a start out of range", listOf("start")) { berlin.add(Instant.MAX, 5) }
    }
    fieldsOf("calendar: an unknown zone", listOf("time_zone")) { Calendar("""{"time_zone": "Mars/Olympus", "hours": {"mon": [["09:00", "17:00"]]}}""") }
    fieldsOf("calendar: a reversed interval", listOf("hours.mon[0]")) { Calendar("""{"time_zone": "UTC", "hours": {"mon": [["12:00", "09:00"]]}}""") }
    fieldsOf("calendar: not JSON", listOf("calendar")) { Calendar("{") }

    // The desk in the engine: the configuration of tests/vectors/service_sla.json.
    val config = """{
        "assignment": {"rules": [{"name": "repairs", "applies_to": ["ticket"], "when": {"field": "category", "eq": "repair"},
                                  "users": ["tom"], "strategy": "round_robin"}]},
        "sla": {
            "calendars": {"office": {"time_zone": "Europe/Berlin",
                                     "hours": {"mon-fri": [["09:00", "12:00"], ["13:00", "17:00"]]}}},
            "policies": [
                {"name": "standard", "calendar": "office", "first_response_minutes": 240, "resolution_minutes": 2400},
                {"name": "urgent", "priority": "urgent", "calendar": "office", "first_response_minutes": 30, "resolution_minutes": 240}],
            "escalation": [{"at_percent": 80, "action": "notify_assignee"}, {"at_percent": 100, "action": "assign_supervisor"}],
            "survey": {"after_hours": 168}}}"""
    val crm = Crm(now = at("2026-03-02T06:00:00Z"), seed = 12uL, configJson = config)
    val root = Actor(user = "root", roles = listOf("admin"))
    val sue = Actor(user = "sue", roles = listOf("supervisor"), team = "service")
    val tom = Actor(user = "tom", roles = listOf("support"), team = "service")
    crm.saveTeam(root, TeamInput(id = "service", name = "Service", supervisor = "sue"))
    crm.saveUser(root, UserInput(id = "tom", name = "Tom", team = "service", roles = listOf("support")))

    val leak = crm.openTicket(tom, NewTicket(subject = "Press 4 leaks oil", priority = "urgent", category = "repair"))
    val sla: TicketSla = leak.sla!!
    tally.check("desk: routed at once, typed clocks",
        leak.assignee == "tom" && sla.policy == "urgent" &&
            sla.clocks.map { it.target to it.dueAt } == listOf(
                SlaTarget.FIRST_RESPONSE to at("2026-03-02T08:30:00Z"), SlaTarget.RESOLUTION to at("2026-03-02T13:00:00Z")) &&
            sla.clocks[0].minutes == 30u && sla.nextCheckAt == at("2026-03-02T08:24:00Z")) { "$leak" }
    val kinds = crm.dueWork(root, at("2026-03-02T08:00:00Z")).single().items.map { it.kind }
    tally.check("desk: SLA targets come due", kinds == listOf(DueKind.SLA, DueKind.SLA)) { "$kinds" }
    val states: List<TargetState> = crm.ticketSla(root, leak.id, at("2026-03-02T08:20:00Z"))
    tally.check("desk: ticketSla", states.map { Triple(it.status, it.consumedMinutes, it.remainingMinutes) } ==
        listOf(Triple(TargetStatus.RUNNING, 20L, 10L), Triple(TargetStatus.RUNNING, 20L, 220L))) { "$states" }
    val warned = crm.escalate(sue, at("2026-03-02T08:25:00Z"))
    tally.check("desk: 80 % tells the assignee", warned == listOf(TicketEscalation(
        ticket = leak.id, target = SlaTarget.FIRST_RESPONSE, atPercent = 80u, action = EscalationAction.NOTIFY_ASSIGNEE, to = "tom"))) { "$warned" }
    tally.check("desk: each step once", crm.escalate(sue, at("2026-03-02T08:26:00Z")).isEmpty())
    val taken = crm.escalate(sue, at("2026-03-02T08:31:00Z")).single()
    // Actions are an enum: a `when` over them is exhaustive.
    val said = when (taken.action) {
        EscalationAction.NOTIFY_ASSIGNEE, EscalationAction.NOTIFY_SUPERVISOR -> "told ${taken.to}"
        EscalationAction.ASSIGN_SUPERVISOR -> "given to ${taken.to}"
    }
    val escalated = (crm.get(root, "ticket", leak.id) as AnyRecord.Ticket).record
    tally.check("desk: breached, the supervisor takes it", said == "given to sue" && escalated.assignee == "sue" &&
        escalated.sla!!.escalations.map { it.atPercent } == listOf(80u, 100u)) { "$escalated" }

    // A pause while the customer answers.
    crm.setNow(at("2026-03-02T08:40:00Z"))
    val started = crm.startTicket(sue, leak.id)
    tally.check("desk: the first response was late", started.sla!!.clocks[0].met == false && started.sla!!.clocks[0].consumedSeconds == 2400L) { "${started.sla}" }
    crm.advanceClock(minutes = 20)
    val waiting = crm.awaitCustomer(sue, leak.id)
    tally.check("desk: paused", waiting.sla!!.pausedSince == at("2026-03-02T09:00:00Z") && waiting.sla!!.clocks[1].dueAt == null) { "${waiting.sla}" }
    val paused = crm.ticketSla(root, leak.id, at("2026-03-03T12:00:00Z"))
    tally.check("desk: a paused clock does not move", paused.map { it.status } == listOf(TargetStatus.BREACHED, TargetStatus.PAUSED) && paused[1].consumedMinutes == 60L) { "$paused" }
    crm.advanceClock(days = 2)
    crm.customerReplied(sue, leak.id)
    crm.advanceClock(hours = 1)
    crm.resolveTicket(sue, leak.id, "new seal")
    val closed = crm.closeTicket(sue, leak.id)
    tally.check("desk: a survey a week after closing", closed.survey?.dueAt == at("2026-03-11T10:00:00Z") && closed.survey?.answeredAt == null) { "${closed.survey}" }
    val surveyItem = crm.dueWork(root, at("2026-03-11T10:05:00Z")).single().items.single()
    tally.check("desk: the survey comes due", surveyItem.kind == DueKind.SURVEY && surveyItem.overdue) { "$surveyItem" }
    tally.check("desk: canonical kinds", canonical(DueKind.ESCALATION) == "escalation" && canonical(SlaTarget.FIRST_RESPONSE) == "first_response")

    // A complaint creates a follow-up task.
    fieldsOf("desk: csat 6", listOf("csat")) { crm.answerSurvey(sue, leak.id, SurveyAnswer(csat = 6u)) }
    fieldsOf("desk: unknown feedback", listOf("feedback")) { crm.answerSurvey(sue, leak.id, SurveyAnswer(feedback = "rant")) }
    val answered = crm.answerSurvey(sue, leak.id, SurveyAnswer(csat = 2u, nps = 3u, feedback = "complaint", comment = "It took two days."))
    val survey: Survey = answered.survey!!
    val followUp = (crm.get(root, "task", survey.followUp!!) as AnyRecord.Task).record
    tally.check("desk: a complaint's follow-up task", survey.csat == 2.toUByte() && survey.feedback == "complaint" &&
        followUp.assignee == "sue" && followUp.priority == "important" && followUp.related == RecordKey("ticket", leak.id)) { "$survey $followUp" }
    fieldsOf("desk: answered once", listOf("survey")) { crm.answerSurvey(sue, leak.id, SurveyAnswer(csat = 5u)) }

    // Scope flags and a department's task.
    val gearbox = crm.openTicket(tom, NewTicket(subject = "Noise from the gearbox", order = "SO-4711", warrantyUntil = "2026-02-28"))
    tally.check("desk: an ended warranty is flagged", gearbox.outOfScope == "the warranty ended on 2026-02-28" &&
        gearbox.order == "SO-4711" && gearbox.warrantyUntil == "2026-02-28" && gearbox.contract == null) { "$gearbox" }
    fieldsOf("desk: a bad warranty date", listOf("warranty_until")) { crm.openTicket(tom, NewTicket(subject = "x", warrantyUntil = "28.02.2026")) }
    val stock = crm.createTask(sue, NewTask(title = "Check the spare parts stock", team = "service"))
    tally.check("desk: a department's task has no assignee", stock.assignee == null && stock.team == "service") { "$stock" }
}

fun loyalty(tally: Tally) {
    fun at(text: String): Instant = Instant.parse(text)
    fun fieldsOf(name: String, want: List<String>, block: () -> Unit) {
        val err = expectError<CrmException.Validation>(tally, name, block) ?: return
        tally.check("$name: fields", err.fields == want) { "${err.fields}" }
    }
    val program = """{"currency": "EUR",
        "earn": [{"name": "base", "per": "1.00", "points": 1},
                 {"name": "coffee", "category": "coffee", "per": "1.00", "points": 3},
                 {"name": "gold double", "level": "gold", "multiply": 2}],
        "bonuses": {"first_purchase": 50, "review": 10}, "expire_after_days": 90,
        "levels": [{"name": "member"}, {"name": "gold", "min_points": 300}],
        "care": [{"name": "thanks", "first_purchase_days": 2, "action": "thank-you call"}]}"""
    val crm = Crm(now = at("2026-01-05T09:00:00Z"), seed = 21uL, configJson = """{"loyalty": $program}""")
    val admin = Actor(user = "root", roles = listOf("admin"))
    val ana = Actor(user = "ana", roles = listOf("sales"))
    val eur = { amount: String -> Money(amount, "EUR") }

    val mia = crm.createCustomer(ana, NewCustomer(name = "Mia Rossi", kind = "person", timeZone = "Europe/Rome"))
    tally.check("loyalty: a new customer has a time zone and no account", mia.timeZone == "Europe/Rome" && mia.loyalty == null && mia.careDone.isEmpty()) { "$mia" }

    // A purchase earns by its lines (coffee at 3 a euro, the rest at 1), plus the first-purchase bonus.
    val first = crm.recordPurchase(ana, PurchaseInput(
        customer = mia.id, reference = "A-1", amount = eur("120.50"),
        lines = listOf(PurchaseLine(category = "coffee", amount = "20.50"), PurchaseLine(category = "mugs", amount = "100.00")),
    ))
    val earning = first.earning!!
    tally.check("loyalty: the lines earn 161 points, exactly",
        earning.points == 161L && earning.base == "161.50" && earning.multiplier == "1" && earning.rules == listOf("coffee", "base")) { "$earning" }
    tally.check("loyalty: an earn and the first-purchase bonus",
        first.entries.map { it.kind } == listOf(PointsKind.EARN, PointsKind.BONUS) &&
            first.entries[0].points == 161L && first.entries[0].amount == eur("120.50") &&
            first.entries[0].expiresAt == at("2026-04-05T09:00:00Z") &&
            first.entries[1].rule == "first_purchase" && first.entries[1].points == 50L && first.entries[1].balance == 211L) { "${first.entries}" }
    val account = first.customer.loyalty!!
    tally.check("loyalty: the customer's account",
        account.balance == 211L && account.level == "member" && account.purchases == 1uL &&
            account.lots.map { it.remaining } == listOf(161L, 50L) && first.levelChange?.to == "member") { "$account" }
    tally.check("loyalty: canonical names", canonical(PointsKind.EARN) == "earn" && canonical(DueKind.CARE) == "care" &&
        (canonical(first) as Map<*, *>)["level_change"] == mapOf("from" to null, "to" to "member", "reason" to first.levelChange!!.reason))

    fieldsOf("loyalty: a reference used already", listOf("reference")) {
        crm.recordPurchase(ana, PurchaseInput(customer = mia.id, reference = "A-1", amount = eur("5.00")))
    }
    fieldsOf("loyalty: another currency", listOf("amount")) {
        crm.recordPurchase(ana, PurchaseInput(customer = mia.id, reference = "A-2", amount = Money("5.00", "USD")))
    }
    fieldsOf("loyalty: a malformed amount", listOf("amount.amount")) {
        crm.recordPurchase(ana, PurchaseInput(customer = mia.id, reference = "A-2", amount = eur("5,00")))
    }
    fieldsOf("loyalty: a line amount as a float string", listOf("lines[0].amount")) {
        crm.recordPurchase(ana, PurchaseInput(customer = mia.id, reference = "A-2", amount = eur("5.00"),
            lines = listOf(PurchaseLine(amount = "5e0"))))
    }
    fieldsOf("loyalty: a malformed customer id", listOf("customer_id")) {
        crm.recordPurchase(ana, PurchaseInput(customer = "", reference = "A-2", amount = eur("5.00")))
    }

    // Redemption takes the oldest points first, never more than the balance.
    fieldsOf("loyalty: redeeming beyond the balance", listOf("points")) { crm.redeemPoints(ana, mia.id, 212L, "espresso machine") }
    val redeemed = crm.redeemPoints(ana, mia.id, 100L, "mug", reference = "R-1")
    val redeem = redeemed.entries.single()
    tally.check("loyalty: a redemption from the oldest lot",
        redeem.kind == PointsKind.REDEEM && redeem.points == -100L && redeem.balance == 111L && redeem.rule == "mug" &&
            redeem.lots == listOf(LotUse(entry = first.entries[0].id, points = 100L)) &&
            redeemed.customer.loyalty!!.redeemed == 100L && redeemed.earning == null) { "$redeemed" }

    // Adjustments are for admins and supervisors; bonuses come from the program.
    expectError<CrmException.Forbidden>(tally, "loyalty: a sales user cannot adjust") { crm.adjustPoints(ana, mia.id, 25L, "goodwill") }
    val adjusted = crm.adjustPoints(admin, mia.id, 25L, "goodwill")
    tally.check("loyalty: an adjustment", adjusted.entries.single().let { it.kind == PointsKind.ADJUST && it.reason == "goodwill" } &&
        adjusted.customer.loyalty!!.balance == 136L) { "$adjusted" }
    fieldsOf("loyalty: a zero adjustment", listOf("points")) { crm.adjustPoints(admin, mia.id, 0L, "nothing") }
    val bonus = crm.awardBonus(ana, mia.id, "review", reference = "rev-9")
    tally.check("loyalty: a bonus", bonus.entries.single().points == 10L && bonus.customer.loyalty!!.balance == 146L) { "$bonus" }
    fieldsOf("loyalty: a bonus given for the reference already", listOf("reference")) { crm.awardBonus(ana, mia.id, "review", "rev-9") }
    fieldsOf("loyalty: an event without a bonus", listOf("event")) { crm.awardBonus(ana, mia.id, "birthday") }

    // Entries are records: pointsEntries, get, list and history know the kind.
    val entries = crm.pointsEntries(ana, mia.id)
    tally.check("loyalty: the ledger, oldest first",
        entries.map { it.kind } == listOf(PointsKind.EARN, PointsKind.BONUS, PointsKind.REDEEM, PointsKind.ADJUST, PointsKind.BONUS) &&
            entries.sumOf { it.points } == 146L) { "${entries.map { it.kind }}" }
    val got = (crm.get(ana, "points_entry", redeem.id) as? AnyRecord.PointsEntry)?.record
    tally.check("loyalty: get returns a points entry", got == redeem) { "$got" }
    val listed = crm.list(ana, "points_entry").map { (it as AnyRecord.PointsEntry).record.id }
    tally.check("loyalty: list returns the entries", listed.sorted() == entries.map { it.id }.sorted()) { "$listed" }
    tally.check("loyalty: canonical entity", (anyRecord(crm.get(ana, "points_entry", redeem.id)) as Map<*, *>)["entity"] == "points_entry")

    // The thank-you call comes due two days after the first purchase.
    val due = crm.dueWork(ana, now = at("2026-01-07T10:00:00Z")).single().items.single()
    val todo = when (due.kind) {                                       // exhaustive: CARE is a case
        DueKind.CARE -> "${due.care?.action} for ${due.title}"
        DueKind.FIRST_CONTACT, DueKind.FOLLOW_UP, DueKind.TASK, DueKind.WIN_BACK, DueKind.INSTALLMENT,
        DueKind.SLA, DueKind.ESCALATION, DueKind.SURVEY -> "something else"
    }
    tally.check("loyalty: a care item is due", todo == "thank-you call for Mia Rossi" && due.overdue &&
        due.care == CareDue(rule = "thanks", dueAt = at("2026-01-07T09:00:00Z"), reason = "first purchase on 2026-01-05",
            action = "thank-you call", occurrence = due.care!!.occurrence)) { "$due" }
    crm.setNow(at("2026-01-07T10:00:00Z"))
    val call = crm.actOnCare(ana, mia.id, "thanks", "call", "Thanked her")
    tally.check("loyalty: acting on care logs an activity", call.kind == "call" && call.subject == RecordKey("customer", mia.id)) { "$call" }
    fieldsOf("loyalty: the care item is handled", listOf("rule")) { crm.actOnCare(ana, mia.id, "thanks", "call", "Again") }
    fieldsOf("loyalty: an unknown activity kind", listOf("kind")) { crm.actOnCare(ana, mia.id, "thanks", "telepathy", "Hm") }
    val cared = (crm.get(ana, "customer", mia.id) as AnyRecord.Customer).record
    tally.check("loyalty: the customer remembers", cared.careDone.keys == setOf("thanks") && cared.lastContactAt == at("2026-01-07T10:00:00Z")) { "$cared" }
    tally.check("loyalty: nothing due any more", crm.dueWork(ana, now = at("2026-01-07T10:00:00Z")).isEmpty())

    // A win-back campaign with a seeded holdout that cannot be contacted.
    val lapsed = (1..4).map { crm.createCustomer(ana, NewCustomer(name = "Lapsed $it", tags = listOf("lapsed"))).id }
    val input = CampaignInput(name = "Win back", action = "10 % voucher", segmentJson = """{"field": "tags", "eq": "lapsed"}""",
        holdoutPercent = "50", seed = 7uL, windowDays = 30u)
    fieldsOf("loyalty: a segment that is not JSON", listOf("segment")) { crm.launchCampaign(ana, input.copy(segmentJson = "{")) }
    fieldsOf("loyalty: a holdout that is not a decimal", listOf("holdout_percent")) { crm.launchCampaign(ana, input.copy(holdoutPercent = "half")) }
    fieldsOf("loyalty: a holdout above 100", listOf("holdout_percent")) { crm.launchCampaign(ana, input.copy(holdoutPercent = "150")) }
    expectError<CrmException.Config>(tally, "loyalty: a segment that is not a condition") {
        crm.launchCampaign(ana, input.copy(segmentJson = """{"nope": 1}"""))
    }
    val campaign = crm.launchCampaign(ana, input)
    val held = campaign.members.filter { it.holdout }.map { it.customer }
    val treated = campaign.members.filter { !it.holdout }.map { it.customer }
    tally.check("loyalty: the campaign draws half its members as holdout",
        campaign.members.map { it.customer } == lapsed && held.size == 2 && campaign.holdoutPercent == "50" && campaign.seed == 7uL &&
            parseJson(campaign.segmentJson) == mapOf("field" to "tags", "eq" to "lapsed") &&
            campaign.members.map { it.holdout } == drawHoldout(4u, "50", 7uL)) { "$campaign" }
    fieldsOf("loyalty: the holdout cannot be contacted", listOf("customers")) { crm.recordCampaignContacts(ana, campaign.id, listOf(held[0])) }
    crm.advanceClock(days = 1)
    val contacted = crm.recordCampaignContacts(ana, campaign.id, treated)
    tally.check("loyalty: contacts are recorded", contacted.members.filter { it.contactedAt != null }.map { it.customer } == treated &&
        contacted.members.all { it.contactedAt == null || (it.contactedBy == "ana" && it.contactedAt == crm.now()) }) { "$contacted" }
    crm.advanceClock(days = 1)
    crm.recordPurchase(ana, PurchaseInput(customer = treated[0], reference = "W-1", amount = eur("30.00")))
    crm.recordPurchase(ana, PurchaseInput(customer = treated[1], reference = "W-2", amount = eur("10.00")))
    crm.recordPurchase(ana, PurchaseInput(customer = held[0], reference = "W-3", amount = eur("15.00")))
    val measure = crm.campaignResults(ana, campaign.id, asOf = at("2026-03-01T00:00:00Z"))
    tally.check("loyalty: the campaign lifts the repurchase rate by half",
        measure.complete && measure.rateLift == 0.5 && measure.treated.repurchaseRate == 1.0 && measure.holdout.repurchaseRate == 0.5 &&
            measure.treated.revenue == "40.00" && measure.holdout.revenuePerCustomer == "7.50" && measure.revenueLift == "12.50" &&
            measure.members.size == 4 && measure.members.single { it.customer == held[0] }.purchases == 1uL) { "$measure" }
    val early = crm.campaignResults(ana, campaign.id)                  // asOf: the engine's clock
    tally.check("loyalty: measured early, the window is open", !early.complete && early.asOf == crm.now()) { "$early" }
    val stored = (crm.get(ana, "campaign", campaign.id) as? AnyRecord.Campaign)?.record
    tally.check("loyalty: get returns the campaign", stored == contacted) { "$stored" }

    // The review expires points 90 days on.
    val before = (crm.get(ana, "customer", mia.id) as AnyRecord.Customer).record.loyalty!!.balance
    val review = crm.reviewLoyalty(admin, now = at("2026-04-06T00:00:00Z"))
    val after = crm.pointsEntries(ana, mia.id)
    val balance = (crm.get(ana, "customer", mia.id) as AnyRecord.Customer).record.loyalty!!.balance
    val expired = after.takeLast(review.entries.toInt())
    tally.check("loyalty: the review expires every lot credited by January",
        review.checked == 1uL && review.expiredPoints == before && review.entries >= 1uL && review.levelChanges.isEmpty() &&
            expired.all { it.kind == PointsKind.EXPIRE && it.at == at("2026-04-05T09:00:00Z") } &&
            -expired.sumOf { it.points } == review.expiredPoints && balance == 0L && after.last().balance == 0L) { "$review, $expired" }

    // The pure functions.
    val summer = loyaltyPoints("""{"earn": [{"name": "base", "per": "1.00", "points": 1},
        {"name": "summer", "campaign": "summer", "multiply": "1.5"}]}""", listOf(PurchaseLine(amount = "9.99")), campaign = "summer")
    tally.check("loyalty: loyaltyPoints rounds down once", summer == Earning(points = 14L, base = "9.99", multiplier = "1.5", rules = listOf("base", "summer"))) { "$summer" }
    tally.check("loyalty: drawHoldout is seeded", drawHoldout(10u, "20", 7uL).count { it } == 2 && drawHoldout(10u, "20", 7uL) == drawHoldout(10u, "20", 7uL))
    fieldsOf("loyalty: drawHoldout percent", listOf("percent")) { drawHoldout(10u, "0.2e2", 7uL) }
    fieldsOf("loyalty: loyaltyPoints program", listOf("program")) { loyaltyPoints("[", listOf()) }
}

// ----- analytics and import: typed tables, lifetime value, a file with a refused row ------

fun analytics(tally: Tally) {
    val crm = Crm(now = Instant.parse("2026-01-05T09:00:00Z"), seed = 31uL)
    val root = Actor(user = "root", roles = listOf("admin"))
    val ana = Actor(user = "ana", roles = listOf("sales"))
    val alpha = crm.createLead(ana, NewLead(source = "web", channel = "online", campaign = "spring", company = "Alpha", contactName = "Al", owner = "ana"))
    tally.check("analytics: a lead keeps its campaign", alpha.campaign == "spring") { "${alpha.campaign}" }
    crm.createLead(ana, NewLead(source = "web", channel = "online", campaign = "spring", company = "Beta", owner = "ana"))
    crm.qualifyLead(ana, alpha.id)
    val converted = crm.convertLead(ana, alpha.id, ConvertLeadOptions(expectedAmount = Money("1000.00", "EUR")))
    val period = """"from": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z""""

    // A metric is a table: named, typed columns and rows of typed cells.
    val conversion = crm.metric(ana, """{"metric": "lead_conversion", $period}""")
    tally.check("analytics: lead conversion's columns", conversion.metric == "lead_conversion" &&
        conversion.columns.map { it.name } == listOf("source", "channel", "campaign", "leads", "converted", "discarded", "conversion_rate") &&
        conversion.columns.map { it.kind } == listOf(ColumnKind.TEXT, ColumnKind.TEXT, ColumnKind.TEXT, ColumnKind.INTEGER,
            ColumnKind.INTEGER, ColumnKind.INTEGER, ColumnKind.FLOAT)) { "${conversion.columns}" }
    tally.check("analytics: lead conversion's rows are typed cells", conversion.rows == listOf(listOf<MetricValue>(
        MetricValue.Text("web"), MetricValue.Text("online"), MetricValue.Text("spring"),
        MetricValue.Integer(2L), MetricValue.Integer(1L), MetricValue.Integer(0L), MetricValue.Float(0.5),
    ))) { "${conversion.rows}" }
    // A `when` over the cells is exhaustive, with no JSON parser.
    val shown = conversion.rows[0].joinToString(" ") { cell ->
        when (cell) {
            MetricValue.Null -> "-"
            is MetricValue.Text -> cell.value
            is MetricValue.Integer -> cell.value.toString()
            is MetricValue.Float -> "%.2f".format(java.util.Locale.ROOT, cell.value)
            is MetricValue.Decimal -> cell.value
            is MetricValue.Time -> cell.value.toString()
            is MetricValue.Date -> cell.value
            is MetricValue.Bool -> cell.value.toString()
        }
    }
    tally.check("analytics: cells read by a when", shown == "web online spring 2 1 0 0.50") { shown }

    // Money stays decimal: a decimal column's cells are strings, never doubles.
    val roi = crm.metric(ana, """{"metric": "channel_roi", $period,
        "costs": [{"channel": "online", "campaign": "spring", "amount": {"amount": "250.00", "currency": "EUR"}}]}""")
    val cost = roi.columns.indexOfFirst { it.name == "cost" }
    val perLead = roi.columns.indexOfFirst { it.name == "cost_per_lead" }
    tally.check("analytics: a decimal column", cost >= 0 && roi.columns[cost].kind == ColumnKind.DECIMAL &&
        roi.rows.size == 1 && roi.rows[0][cost] == MetricValue.Decimal("250.00") &&
        roi.rows[0][perLead] == MetricValue.Decimal("125.00")) { "$roi" }
    // Times are Instants.
    val targets = crm.metric(root, """{"metric": "targets", "targets": [{"user": "ana", $period,
        "amount": {"amount": "4000.00", "currency": "EUR"}, "new_customers": 4}]}""")
    val from = targets.columns.indexOfFirst { it.name == "from" }
    tally.check("analytics: a time column", from >= 0 && targets.columns[from].kind == ColumnKind.TIME &&
        targets.rows.single()[from] == MetricValue.Time(Instant.parse("2026-01-01T00:00:00Z"))) { "$targets" }

    // Bad queries name the field.
    fun fieldsOf(name: String, expected: List<String>, block: () -> Unit) {
        expectError<CrmException.Validation>(tally, name, block)?.let {
            tally.check("$name names ${expected.joinToString()}", it.fields == expected) { "${it.fields}" }
        }
    }
    fieldsOf("analytics: an unknown metric", listOf("query")) { crm.metric(ana, """{"metric": "win_rates"}""") }
    fieldsOf("analytics: a query that is not JSON", listOf("query")) { crm.metric(ana, "{") }
    fieldsOf("analytics: a bad group_by", listOf("group_by")) { crm.metric(ana, """{"metric": "service", "group_by": "colour"}""") }
    fieldsOf("analytics: until before from", listOf("until")) {
        crm.metric(ana, """{"metric": "win_rate", "from": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}""")
    }

    // Lifetime value in the engine: too little history to fit, so no models, and no rows without purchases.
    val report = crm.customerLifetimeValue(ana, asOf = Instant.parse("2026-02-01T00:00:00Z"))
    tally.check("analytics: lifetime value without history", report.bgNbd == null && report.gammaGamma == null &&
        report.notFitted != null && report.rows.isEmpty()) { "$report" }
    // A won deal's signed contract is money received.
    val deal = converted.opportunity!!
    crm.advanceOpportunity(ana, deal)
    crm.advanceOpportunity(ana, deal)
    crm.signContract(root, crm.winOpportunity(ana, deal).contract.id)
    val byAna = crm.customerLifetimeValue(ana, scope = MetricScope.User("ana"))
    val byBob = crm.customerLifetimeValue(root, scope = MetricScope.User("bob"))
    tally.check("analytics: lifetime value by scope", byAna.rows.size == 1 && byAna.rows[0].customer == converted.customer &&
        byAna.rows[0].historic == "1000.00" && byAna.rows[0].frequency == 0u && byAna.rows[0].clv == null &&
        byAna.currency == "EUR" && byBob.rows.isEmpty()) { "$byAna / $byBob" }
    fieldsOf("analytics: a malformed scope", listOf("user_id")) { crm.customerLifetimeValue(ana, scope = MetricScope.User("")) }

    // fitClv: a pure function over purchase rows; typed models and rows, amounts as decimal strings.
    fun buy(customer: String, at: String, amount: String) = Purchase(customer, Instant.parse(at), amount)
    val purchases = listOf(
        buy("a", "2026-01-02T10:00:00Z", "10.00"), buy("a", "2026-01-20T10:00:00Z", "30.00"),
        buy("a", "2026-02-25T10:00:00Z", "50.00"), buy("b", "2026-01-05T10:00:00Z", "20.00"),
        buy("b", "2026-01-05T18:00:00Z", "5.00"), buy("c", "2026-02-01T10:00:00Z", "12.00"),
        buy("c", "2026-03-15T10:00:00Z", "8.00"), buy("d", "2026-03-01T10:00:00Z", "99.00"),
    )
    val model = fitClv(purchases, Instant.parse("2026-04-01T00:00:00Z"))
    val a = model.customers[0]
    tally.check("analytics: fitClv's summary", model.customers.map { it.customer } == listOf("a", "b", "c", "d") &&
        a.frequency == 2u && a.recency == 54u && a.t == 89u && a.monetary == "40.00") { "$a" }
    tally.check("analytics: fitClv's models", model.bgNbd.r > 0 && model.bgNbd.alpha > 0 && model.gammaGamma.p > 0 &&
        model.customers.all { it.pAlive in 0.0..1.0 } && model.customers.all { java.math.BigDecimal(it.clv).scale() == 2 }) { "$model" }
    val shorter = fitClv(purchases, Instant.parse("2026-04-01T00:00:00Z"), months = 1u, monthlyDiscount = 0.0, minorUnits = 0u)
    tally.check("analytics: a shorter horizon is worth less, rounded to the minor unit",
        java.math.BigDecimal(shorter.customers[0].clv) < java.math.BigDecimal(a.clv) && !shorter.customers[0].clv.contains('.')) {
        "${shorter.customers[0]}"
    }
    fieldsOf("analytics: fitClv without repeat purchases", listOf("data")) { fitClv(purchases.take(1), Instant.parse("2026-04-01T00:00:00Z")) }
    fieldsOf("analytics: fitClv amount", listOf("purchases[1].amount")) {
        fitClv(listOf(purchases[0], buy("a", "2026-01-20T10:00:00Z", "3.0e1")), Instant.parse("2026-04-01T00:00:00Z"))
    }
    fieldsOf("analytics: fitClv discount", listOf("monthly_discount")) {
        fitClv(purchases, Instant.parse("2026-04-01T00:00:00Z"), monthlyDiscount = Double.NaN)
    }

    // importRows from a file path: a refused row comes back as (row, field, reason).
    val dir = java.nio.file.Files.createTempDirectory("crm-import")
    try {
        val csv = dir.resolve("customers.csv").toFile()
        csv.writeText("Company,E-mail\nOmega,hi@omega.example\nPsi,not-an-email\nOmega two,HI@omega.example\n")
        val spec = """{"kind": "customer", "format": "csv", "mode": "best_effort", "mapping": {"name": "Company", "email": "E-mail"}}"""
        val imported = crm.importRows(root, spec, path = csv.path)
        tally.check("import: rows, imported, duplicates", imported.rows == 3uL && imported.imported == 1uL &&
            imported.duplicates == 1uL && imported.batches == 1uL && !imported.cancelled) { "$imported" }
        tally.check("import: the refused rows", imported.rejected == listOf(
            RejectedRow(row = 3uL, field = "email", reason = "is not an email address"),
            RejectedRow(row = 4uL, field = "email", reason = "repeats the email of row 2"),
        )) { "${imported.rejected}" }
        tally.check("import: the good row is a customer", crm.list(root, "customer").any { (it as AnyRecord.Customer).record.name == "Omega" })

        // All or nothing: one bad row, nothing written.
        val before = crm.list(root, "lead").size
        val leads = crm.importRows(root, """{"kind": "lead", "format": "jsonl"}""",
            data = "{\"company\": \"Zeta\"}\n{\"source\": \"web\"}\n".toByteArray())
        tally.check("import: all or nothing", leads.imported == 0uL && crm.list(root, "lead").size == before &&
            leads.rejected.single() == RejectedRow(2uL, "company", "a lead needs a company or a contact_name")) { "$leads" }

        // The progress listener: told after each batch; false stops the import.
        val seen = ArrayList<ImportProgress>()
        val three = "{\"company\": \"K1\"}\n{\"company\": \"K2\"}\n{\"company\": \"K3\"}\n".toByteArray()
        val stopped = crm.importRows(root, """{"kind": "lead", "format": "jsonl", "mode": "best_effort", "batch_size": 1}""",
            data = three, progress = object : ImportProgressListener {
                override fun onProgress(progress: ImportProgress): Boolean {
                    seen.add(progress)
                    return progress.imported < 2uL
                }
            })
        tally.check("import: the listener stops it", stopped.cancelled && stopped.imported == 2uL &&
            seen.map { it.imported } == listOf(1uL, 2uL) && seen.none { it.checking }) { "$stopped $seen" }

        // A listener that throws stops the import; the call throws, typed, naming `progress`.
        fieldsOf("import: a listener that throws", listOf("progress")) {
            crm.importRows(root, """{"kind": "lead", "format": "jsonl"}""", data = three, progress = object : ImportProgressListener {
                override fun onProgress(progress: ImportProgress): Boolean = throw IllegalStateException("boom")
            })
        }
        // A CrmException thrown in it comes back as it is.
        val own = expectError<CrmException.Forbidden>(tally, "import: the listener's own CrmException") {
            crm.importRows(root, """{"kind": "lead", "format": "jsonl"}""", data = three, progress = object : ImportProgressListener {
                override fun onProgress(progress: ImportProgress): Boolean =
                    throw CrmException.Forbidden(actor = "host", action = "import", entity = "lead", id = null)
            })
        }
        tally.check("import: ... with its fields", own?.actor == "host") { "$own" }
        // Calling the same Crm from the listener fails (it would wait for itself), and the import goes on.
        var inner: CrmException? = null
        val reentrant = crm.importRows(root, """{"kind": "lead", "format": "jsonl", "mode": "best_effort"}""",
            data = "{\"company\": \"R1\"}\n".toByteArray(), progress = object : ImportProgressListener {
                override fun onProgress(progress: ImportProgress): Boolean {
                    try { crm.now() } catch (err: CrmException) { inner = err }
                    return true
                }
            })
        tally.check("import: no call back into the Crm", reentrant.imported == 1uL &&
            (inner as? CrmException.Validation)?.fields == listOf("progress")) { "$reentrant $inner" }
        tally.check("import: the Crm works after", crm.now() == Instant.parse("2026-01-05T09:00:00Z"))

        fieldsOf("import: both a path and data", listOf("source")) {
            crm.importRows(root, spec, path = csv.path, data = ByteArray(0))
        }
        fieldsOf("import: neither", listOf("source")) { crm.importRows(root, spec) }
        expectError<CrmException.Config>(tally, "import: an unknown field") {
            crm.importRows(root, """{"kind": "customer", "format": "csv", "mapping": {"colour": "C"}}""", data = ByteArray(0))
        }?.let { tally.check("import: ... names it", it.path == "import.mapping.colour") { it.path } }
        expectError<CrmException.Storage>(tally, "import: a missing file") {
            crm.importRows(root, spec, path = dir.resolve("missing.csv").toString())
        }
    } finally {
        dir.toFile().deleteRecursively()
    }
}

fun fileStore(tally: Tally) {
    val dir = java.nio.file.Files.createTempDirectory("crm-ffi-test").toFile()
    try {
        val path = File(dir, "crm.db").path
        val ana = Actor(user = "ana", roles = listOf("sales"))
        val start = Instant.parse("2026-01-05T09:00:00Z")

        // Write through one object, then close it (as an app does when it stops).
        val (leadId, written) = Crm.open(path, now = start).use { crm ->
            val lead = crm.createLead(ana, NewLead(company = "Acme", owner = "ana"))
            crm.advanceClock(hours = 1)
            crm.logActivity(ana, NewActivity(subject = RecordKey("lead", lead.id), kind = "call", summary = "Wants a demo"))
            crm.qualifyLead(ana, lead.id)
            lead.id to crm.history(ana, "lead", lead.id)
        }
        tally.check("the file exists", File(path).isFile)

        // A new object over the same file reads it back.
        Crm.open(path).use { crm ->
            val read = (crm.get(ana, "lead", leadId) as? AnyRecord.Lead)?.record
            tally.check("the lead is read back from the file", read != null && read.status == "qualified" && read.company == "Acme" && read.createdAt == start) { "$read" }
            val history = crm.history(ana, "lead", leadId)
            tally.check("its history is read back", history == written && history.last().action == "qualify") { "${history.map { it.action }}" }

            // Calls from several threads at once (as from Dispatchers.IO): each runs whole, one at a time.
            val pool = java.util.concurrent.Executors.newFixedThreadPool(4)
            try {
                val futures = (1..20).map { n ->
                    pool.submit<String> { crm.createLead(ana, NewLead(company = "Worker $n", owner = "ana")).id }
                }
                val ids = futures.map { it.get() }
                tally.check("calls from 4 threads all commit, with distinct ids", ids.toSet().size == 20 && ids.all { crm.history(ana, "lead", it).isNotEmpty() })
            } finally {
                pool.shutdown()
            }
        }

        expectError<CrmException.Validation>(tally, "empty location") {
            Crm.open("")
        }?.let { tally.check("empty location names location", it.fields == listOf("location")) { "${it.fields}" } }
        expectError<CrmException.Storage>(tally, "a file in a missing directory") {
            Crm.open(File(dir, "missing/crm.db").path)
        }?.let { tally.check("the storage error says why", it.reason.isNotEmpty()) { it.reason } }
        val early = File(dir, "early.db")
        expectError<CrmException.Validation>(tally, "open with a time out of range") {
            Crm.open(early.path, now = Instant.MAX)
        }?.let { tally.check("a bad time is refused before the file is made", it.fields == listOf("now") && !early.exists()) { "$it" } }
    } finally {
        dir.deleteRecursively()
    }
}

fun main(args: Array<String>) {
    val dir = File(args.getOrElse(0) { "tests/vectors" })
    val files = dir.listFiles { f -> f.name.endsWith(".json") }?.sortedBy { it.name } ?: listOf()
    val tally = Tally()
    tally.check("vectors found in $dir", files.size >= 4) { "only ${files.size}" }
    for (file in files) {
        try {
            runVector(file, tally)
        } catch (err: Throwable) {
            tally.check(file.name, false) { "crashed: $err" }
        }
    }
    try {
        badInput(tally)
    } catch (err: Throwable) {
        tally.check("bad input", false) { "crashed: $err" }
    }
    try {
        assignment(tally)
    } catch (err: Throwable) {
        tally.check("assignment", false) { "crashed: $err" }
    }
    try {
        rfm(tally)
    } catch (err: Throwable) {
        tally.check("rfm", false) { "crashed: $err" }
    }
    try {
        customerValue(tally)
    } catch (err: Throwable) {
        tally.check("customer value", false) { "crashed: $err" }
    }
    try {
        dedupe(tally)
    } catch (err: Throwable) {
        tally.check("dedupe", false) { "crashed: $err" }
    }
    try {
        duplicatesInTheStore(tally)
    } catch (err: Throwable) {
        tally.check("duplicates in the store", false) { "crashed: $err" }
    }
    try {
        payments(tally)
    } catch (err: Throwable) {
        tally.check("payments", false) { "crashed: $err" }
    }
    try {
        enginePayments(tally)
    } catch (err: Throwable) {
        tally.check("engine payments", false) { "crashed: $err" }
    }
    try {
        serviceDesk(tally)
    } catch (err: Throwable) {
        tally.check("service desk", false) { "crashed: $err" }
    }
    try {
        loyalty(tally)
    } catch (err: Throwable) {
        tally.check("loyalty", false) { "crashed: $err" }
    }
    try {
        analytics(tally)
    } catch (err: Throwable) {
        tally.check("analytics", false) { "crashed: $err" }
    }
    try {
        fileStore(tally)
    } catch (err: Throwable) {
        tally.check("file store", false) { "crashed: $err" }
    }
    println("${files.size} vector files")
    println("${tally.passed} passed, ${tally.failed} failed")
    exitProcess(if (tally.failed == 0) 0 else 1)
}
