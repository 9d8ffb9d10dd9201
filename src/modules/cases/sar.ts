import { currency, formatMinor } from '../../shared/money.js'
import type { Case } from './cases.js'
import type { Link, StoredAlert, TimelineEntry } from './cases.store.js'
import type { Proposal } from './closing.js'

/**
 * A SAR draft with the fields FinCEN's SAR asks for (subject, suspicious activity period, amounts,
 * instruments, typology categories, the five-Ws narrative), every one of them filled from the case's
 * recorded facts: its alerts, linked transactions, party and decisions. Nothing is invented: a fact the
 * case does not hold is written as not recorded, for the analyst to complete (and every edit is a new
 * audited version).
 */
export interface SarTransaction {
  readonly id: string
  readonly at: string
  readonly amount: string
  readonly currency: string
  readonly kind: string
  readonly src: string
  readonly dst: string
  readonly srcCountry?: string
  readonly dstCountry?: string
}

export interface SarCategory {
  /** FinCEN SAR category (Part II), e.g. "Structuring". */
  readonly category: string
  readonly subtype: string
  /** FinCEN code-list ids where known (docs/cases.md says which); otherwise the filer codes it. */
  readonly typeId: number | null
  readonly subtypeId: number | null
  /** The alert typology or rule it comes from. */
  readonly from: string
}

export interface SarNarrative {
  readonly who: string
  readonly what: string
  readonly when: string
  readonly where: string
  readonly why: string
  readonly how: string
}

export interface SarDraft {
  readonly format: 'moneta-sar/v1'
  readonly caseId: string
  readonly filingType: 'initial'
  readonly subject: {
    readonly partyId: string | null
    readonly name: string | null
    readonly accounts: readonly string[]
    readonly party: Readonly<Record<string, unknown>> | null
  }
  readonly counterparties: readonly string[]
  readonly activity: { readonly from: string | null; readonly to: string | null }
  /** Per currency, minor units as integer strings plus the formatted amount. */
  readonly amounts: readonly { currency: string; total: string; formatted: string; count: number }[]
  readonly instruments: readonly string[]
  readonly categories: readonly SarCategory[]
  readonly transactions: readonly SarTransaction[]
  readonly alerts: readonly {
    source: string
    alertId: string
    rule: string
    typology: string | null
    score: number
    summary: string
    raisedAt: string
  }[]
  readonly decisions: readonly {
    at: string
    actor: string
    action: string
    outcome?: string
    text?: string
  }[]
  readonly narrative: SarNarrative
}

/** The facts a draft is built from, gathered by the SAR service. */
export interface SarFacts {
  readonly case: Case
  readonly party: Readonly<Record<string, unknown>> | null
  readonly alerts: readonly StoredAlert[]
  readonly links: readonly Link[]
  readonly history: readonly SarTransaction[]
  readonly proposals: readonly Proposal[]
  readonly timeline: readonly TimelineEntry[]
}

const INSTRUMENTS: Readonly<Record<string, string>> = {
  cash_deposit: 'Currency',
  cash_withdrawal: 'Currency',
  wire: 'Funds transfer',
  transfer: 'Funds transfer',
  card: 'Credit/debit card',
}

/**
 * Typology → FinCEN category. Codes are given only where two published implementations of FinCEN's
 * code list agree (structuring: type 1, subtype 114 "Transaction(s) below CTR threshold").
 */
const CATEGORIES: Readonly<Record<string, Omit<SarCategory, 'from'>>> = {
  structuring: {
    category: 'Structuring',
    subtype: 'Transaction(s) below CTR threshold',
    typeId: 1,
    subtypeId: 114,
  },
  fan_in: { category: 'Money laundering', subtype: 'Funnel account', typeId: null, subtypeId: null },
  mule: { category: 'Money laundering', subtype: 'Funnel account', typeId: null, subtypeId: null },
  fan_out: {
    category: 'Money laundering',
    subtype: 'Suspicious use of multiple accounts',
    typeId: null,
    subtypeId: null,
  },
  pass_through: {
    category: 'Money laundering',
    subtype: 'Transaction out of pattern for customer(s)',
    typeId: null,
    subtypeId: null,
  },
  cycle: {
    category: 'Money laundering',
    subtype: 'Transaction with no apparent economic, business, or lawful purpose',
    typeId: null,
    subtypeId: null,
  },
  sanctions: {
    category: 'Other suspicious activities',
    subtype: 'Other: possible sanctions list match',
    typeId: null,
    subtypeId: null,
  },
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)

/** A linked transaction's facts as the alert carried them (monitoring's context.txn). */
export function txnFromLink(l: Link): SarTransaction | undefined {
  const f = l.facts
  const amount = str(f.amount)
  const cur = str(f.currency)
  const at = str(f.at)
  if (!amount || !cur || !at || !/^[0-9]+$/.test(amount)) return undefined
  return {
    id: l.ref,
    at,
    amount,
    currency: cur,
    kind: str(f.kind) ?? 'transfer',
    src: str(f.src) ?? 'unknown',
    dst: str(f.dst) ?? 'unknown',
    ...(str(f.srcCountry) ? { srcCountry: str(f.srcCountry)! } : {}),
    ...(str(f.dstCountry) ? { dstCountry: str(f.dstCountry)! } : {}),
  }
}

export function money(minor: bigint, code: string): string {
  try {
    return `${formatMinor(minor, currency(code))} ${code}`
  } catch {
    return `${minor.toString()} (minor units) ${code}`
  }
}

/** The legal name of a party from the parties module (details.names[0].value), if the case knows it. */
function partyName(p: Readonly<Record<string, unknown>> | null): string | null {
  const names = (p?.details as { names?: { value?: unknown }[] } | undefined)?.names
  return str(names?.[0]?.value) ?? str(p?.name) ?? null
}

const day = (iso: string): string => iso.slice(0, 10)
const list = (xs: readonly string[], none: string): string => (xs.length === 0 ? none : xs.join(', '))

/** The draft, from facts only. Deterministic: the same facts give the same draft. */
export function buildSarDraft(f: SarFacts): SarDraft {
  const c = f.case
  const byId = new Map<string, SarTransaction>()
  for (const t of [...f.links.map(txnFromLink), ...f.history]) if (t && !byId.has(t.id)) byId.set(t.id, t)
  const txns = [...byId.values()].sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id))
  const totals = new Map<string, { total: bigint; count: number }>()
  for (const t of txns) {
    const cur = totals.get(t.currency) ?? { total: 0n, count: 0 }
    totals.set(t.currency, { total: cur.total + BigInt(t.amount), count: cur.count + 1 })
  }
  const amounts = [...totals.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cur, v]) => ({
      currency: cur,
      total: v.total.toString(),
      formatted: money(v.total, cur),
      count: v.count,
    }))
  const instruments = [...new Set(txns.map((t) => INSTRUMENTS[t.kind] ?? 'Other'))].sort()
  const typologies = [...new Set(f.alerts.map((a) => a.typology ?? a.rule))]
  const categories: SarCategory[] = typologies.map((t) => ({
    ...(CATEGORIES[t] ?? {
      category: 'Other suspicious activities',
      subtype: `Other: ${t}`,
      typeId: null,
      subtypeId: null,
    }),
    from: t,
  }))
  const accounts = [
    ...new Set([...(c.subject.startsWith('instrument:') || c.subject.startsWith('pty_') ? [] : [c.subject])]),
  ]
  const counterparties = [
    ...new Set(f.links.filter((l) => l.type === 'counterparty').map((l) => l.ref)),
  ].sort()
  const alertTimes = f.alerts.map((a) => a.raisedAt.toISOString())
  const times = [...txns.map((t) => t.at), ...alertTimes].sort()
  const from = times[0] ?? null
  const to = times[times.length - 1] ?? null
  const name = partyName(f.party)
  const countries = [
    ...new Set(txns.flatMap((t) => [t.srcCountry, t.dstCountry].filter((x) => !!x))),
  ] as string[]
  const decisions: { at: string; actor: string; action: string; outcome?: string; text?: string }[] = []
  for (const p of f.proposals) {
    decisions.push({
      at: p.proposedAt.toISOString(),
      actor: p.proposedBy,
      action: 'proposed',
      outcome: p.outcome,
      text: p.reason,
    })
    if (p.decidedBy && p.decidedAt)
      decisions.push({
        at: p.decidedAt.toISOString(),
        actor: p.decidedBy,
        action: p.status,
        outcome: p.outcome,
        ...(p.note ? { text: p.note } : {}),
      })
  }
  for (const e of f.timeline)
    if (e.action === 'close' || e.action === 'comment')
      decisions.push({
        at: e.at.toISOString(),
        actor: e.actor,
        action: e.action === 'close' ? 'closed' : 'commented',
        ...(typeof e.details.outcome === 'string' ? { outcome: e.details.outcome } : {}),
        ...(typeof e.details.reason === 'string' ? { text: e.details.reason } : {}),
        ...(typeof e.details.text === 'string' ? { text: e.details.text } : {}),
      })
  decisions.sort((a, b) => a.at.localeCompare(b.at))
  const alerts = f.alerts.map((a) => ({
    source: a.source,
    alertId: a.alertId,
    rule: a.rule,
    typology: a.typology,
    score: a.score,
    summary: a.summary,
    raisedAt: a.raisedAt.toISOString(),
  }))
  const narrative = narrate({
    caseId: c.caseId,
    partyId: c.partyId,
    name,
    accounts,
    counterparties,
    txns,
    amounts: amounts.map((a) => a.formatted),
    instruments,
    alerts,
    from,
    to,
    openedAt: c.openedAt.toISOString(),
    countries,
    decisions,
  })
  return {
    format: 'moneta-sar/v1',
    caseId: c.caseId,
    filingType: 'initial',
    subject: { partyId: c.partyId, name, accounts, party: f.party },
    counterparties,
    activity: { from, to },
    amounts,
    instruments,
    categories,
    transactions: txns,
    alerts,
    decisions,
    narrative,
  }
}

const MAX_LISTED = 50

/** The five Ws (and how), each a template over recorded facts. */
function narrate(x: {
  caseId: string
  partyId: string | null
  name: string | null
  accounts: readonly string[]
  counterparties: readonly string[]
  txns: readonly SarTransaction[]
  amounts: readonly string[]
  instruments: readonly string[]
  alerts: SarDraft['alerts']
  from: string | null
  to: string | null
  openedAt: string
  countries: readonly string[]
  decisions: SarDraft['decisions']
}): SarNarrative {
  const who =
    `The subject is ${x.name ?? (x.partyId ? `party ${x.partyId} (name not recorded in the case)` : 'a party not identified in the case')}` +
    `${x.name && x.partyId ? ` (party ${x.partyId})` : ''}, holder of account(s) ${list(x.accounts, 'not recorded')}. ` +
    `Counterparties recorded: ${list(x.counterparties, 'none')}.`
  const rules = [
    ...new Set(x.alerts.map((a) => `${a.source} ${a.rule}${a.typology ? ` (${a.typology})` : ''}`)),
  ]
  const what =
    `${x.txns.length} transaction(s) totalling ${list(x.amounts, 'no recorded amount')} ` +
    `(instruments: ${list(x.instruments, 'not recorded')}) are linked to case ${x.caseId}, ` +
    `raised by ${x.alerts.length} alert(s): ${list(rules, 'none')}.`
  const when =
    x.from && x.to
      ? `The activity took place between ${day(x.from)} and ${day(x.to)}; the case was opened on ${day(x.openedAt)}.`
      : `No activity dates are recorded; the case was opened on ${day(x.openedAt)}.`
  const where =
    `Through account(s) ${list(x.accounts, 'not recorded')}` +
    (x.countries.length > 0
      ? `, involving the countries ${x.countries.join(', ')}.`
      : '; no country is recorded on these transactions.')
  const reasons = [...new Set(x.alerts.map((a) => a.summary))]
  const decided = x.decisions
    .filter((d) => d.action !== 'commented')
    .map(
      (d) =>
        `on ${day(d.at)} ${d.actor} ${d.action}${d.outcome ? ` ${d.outcome}` : ''}${d.text ? `: "${d.text}"` : ''}`,
    )
  const why =
    `The alerts reported: ${list(reasons, 'no reason recorded')}. ` +
    (decided.length > 0 ? `Decisions: ${decided.join('; ')}.` : 'No decision is recorded yet.')
  const lines = x.txns
    .slice(0, MAX_LISTED)
    .map(
      (t) =>
        `${t.at.slice(0, 16).replace('T', ' ')} UTC ${t.kind} of ${money(BigInt(t.amount), t.currency)} from ${t.src} to ${t.dst} (${t.id})`,
    )
  const how =
    lines.length === 0
      ? 'No transaction is linked to the case.'
      : `The transactions, in order: ${lines.join('; ')}${x.txns.length > MAX_LISTED ? `; and ${x.txns.length - MAX_LISTED} more (see the transaction list)` : ''}.`
  return { who, what, when, where, why, how }
}

/** The narrative as one text, the way the SAR's narrative field holds it. */
export function narrativeText(n: SarNarrative): string {
  return [
    `WHO: ${n.who}`,
    `WHAT: ${n.what}`,
    `WHEN: ${n.when}`,
    `WHERE: ${n.where}`,
    `WHY: ${n.why}`,
    `HOW: ${n.how}`,
  ].join('\n\n')
}
