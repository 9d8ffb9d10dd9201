import type { EventBus, EventMessage, Subscription } from '../events/index.js'
import { TXN_KINDS, type MonTxn, type TxnKind } from './monitoring.js'
import type { Monitoring } from './monitoring.service.js'

/** The ledger event monitoring consumes (asynchronous evaluation of postings). */
export const LEDGER_POSTED = 'ledger.transaction.posted.v1'
export const LEDGER_CONSUMER_GROUP = 'monitoring-ledger'

interface LedgerPosted {
  readonly transactionId: string
  readonly legs: readonly { source: string; destination: string; amount: string; currency: string }[]
  readonly metadata?: Record<string, unknown>
  readonly at: string
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined)

/**
 * One monitored transaction per leg of a posted ledger transaction: `source` pays `destination`.
 * Optional metadata: `kind` (transfer, card, cash_deposit, cash_withdrawal, wire; default transfer),
 * `srcCountry`, `dstCountry`, `srcCustomer`, `dstCustomer`, `device`, `card`, `address`.
 */
export function ledgerPostingToTxns(p: LedgerPosted): MonTxn[] {
  const md = p.metadata ?? {}
  const kind = TXN_KINDS.includes(md.kind as TxnKind) ? (md.kind as TxnKind) : 'transfer'
  const at = Date.parse(p.at)
  const extra = {
    ...(str(md.srcCountry) ? { srcCountry: str(md.srcCountry)! } : {}),
    ...(str(md.dstCountry) ? { dstCountry: str(md.dstCountry)! } : {}),
    ...(str(md.srcCustomer) ? { srcCustomer: str(md.srcCustomer)! } : {}),
    ...(str(md.dstCustomer) ? { dstCustomer: str(md.dstCustomer)! } : {}),
    ...(str(md.device) ? { device: str(md.device)! } : {}),
    ...(str(md.card) ? { card: str(md.card)! } : {}),
    ...(str(md.address) ? { address: str(md.address)! } : {}),
  }
  return p.legs
    .filter((l) => /^[1-9][0-9]*$/.test(l.amount) && l.source !== l.destination)
    .map((l, i) => ({
      id: p.legs.length === 1 ? p.transactionId : `${p.transactionId}:${i}`,
      at,
      amount: BigInt(l.amount),
      currency: l.currency,
      kind,
      src: l.source,
      dst: l.destination,
      ...extra,
    }))
}

/**
 * Subscribes monitoring to posted ledger transactions: each batch is evaluated per tenant through
 * the active rule set (`ingest`: stored, alerts raised, idempotent on the transaction id).
 */
export function startLedgerConsumer(
  bus: EventBus,
  monitoring: Monitoring,
  opts: { consumerName?: string } = {},
): Promise<Subscription> {
  return bus.subscribe({
    group: LEDGER_CONSUMER_GROUP,
    topics: [LEDGER_POSTED],
    maxInFlight: 1000,
    ...(opts.consumerName ? { consumerName: opts.consumerName } : {}),
    batchHandler: async (msgs: readonly EventMessage[]) => {
      const byTenant = new Map<string, MonTxn[]>()
      for (const m of msgs) {
        const txns = ledgerPostingToTxns(m.payload as LedgerPosted)
        const list = byTenant.get(m.tenantId)
        if (list) list.push(...txns)
        else byTenant.set(m.tenantId, txns)
      }
      for (const [tenant, txns] of byTenant) if (txns.length > 0) await monitoring.ingest(tenant, txns)
    },
  })
}
