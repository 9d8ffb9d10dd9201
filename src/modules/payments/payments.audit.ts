import type { Db } from '../../shared/db/connect.js'
import type { AuditRecord } from '../audit/index.js'
import type { Fact, Payment } from './payments.js'

/** The slice of the audit log payments writes to (a narrow port; the audit module implements it). */
export interface PaymentsAudit {
  /** Writes the entry in the transition's own transaction (ADR 0211). */
  recordIn(tx: Db, r: AuditRecord): Promise<void>
  /** Many entries in one statement (a batch of transitions, issue #18). */
  recordAllIn(tx: Db, rs: readonly AuditRecord[]): Promise<void>
}

/**
 * Who a transition is done for: the request's principal and the client's address, handed down from
 * the route (WriteOptions.by), never guessed from an ambient context (ADR 0212).
 */
export interface Actor {
  readonly actor: string
  readonly origin: string
}

const state = (p: Payment) => ({
  status: p.status,
  amountAuthorized: p.amountAuthorized.toString(),
  amountCaptured: p.amountCaptured.toString(),
  amountRefunded: p.amountRefunded.toString(),
  amountRefundPending: p.amountRefundPending.toString(),
  amountDisputed: p.amountDisputed.toString(),
  inFlight: p.inFlight,
})

/**
 * One entry per applied payment transition (written by the single writer, applyFact): the fact,
 * the state before and after, and who caused it — `by`, the request's principal, else the gateway
 * whose webhook or answer a worker applied (`gateway:NAME`, origin `worker`).
 */
export function transitionRecord(
  before: Payment,
  after: Payment,
  fact: Fact,
  related: { readonly refundId?: string | undefined; readonly disputeId?: string | undefined },
  by: Actor | undefined,
): AuditRecord {
  return {
    tenant: before.tenantId,
    actor: by?.actor ?? `gateway:${after.gateway ?? 'unknown'}`,
    action: `payments.payment.${fact.type}`,
    resource: `payments:${before.id}`,
    outcome: 'success',
    origin: by?.origin ?? 'worker',
    details: {
      currency: before.currency,
      gateway: after.gateway,
      ...('amount' in fact && typeof fact.amount === 'bigint' ? { amount: fact.amount.toString() } : {}),
      ...(related.refundId ? { refundId: related.refundId } : {}),
      ...(related.disputeId ? { disputeId: related.disputeId } : {}),
      before: state(before),
      after: state(after),
    },
  }
}
