import type { Transaction } from 'kysely'
import type { Database } from '../../../shared/db/schema.js'
import type { GatewayEvent, PaymentGateway } from '../gateway.js'
import type { InboxOutcome } from './webhook-inbox.js'

export type Tx = Transaction<Database>

/** What the inbox needs from payments: the single writer of state transitions, and tenant lookups. */
export interface WebhookPaymentsPort {
  /**
   * Idempotent; runs in the inbox row's transaction, so the row is marked processed with its effect.
   * Throwing (e.g. PAYMENT_EVENT_OUT_OF_ORDER) rolls the row's work back and schedules a retry.
   */
  applyGatewayEvent(
    tenant: string,
    gateway: string,
    event: GatewayEvent,
    opts: { tx: Tx },
  ): Promise<InboxOutcome>
  /**
   * A round's events as a set, in the round's transaction (issue #18): one result per item. An item
   * that fails wrote nothing; throwing fails the whole call (the inbox then rolls it back and applies
   * the round's rows one at a time with applyGatewayEvent).
   */
  applyGatewayEvents(
    items: readonly { tenant: string; gateway: string; event: GatewayEvent }[],
    opts: { tx: Tx },
  ): Promise<({ ok: true; outcome: InboxOutcome } | { ok: false; error: unknown })[]>
  /** The owner of the payment with this gateway reference (committed rows). */
  findTenantByGatewayRef(gateway: string, gatewayRef: string): Promise<{ tenantId: string } | undefined>
  /** The same for many references of one gateway, in one lookup: ref → tenant (unambiguous ones only). */
  findTenantsByGatewayRefs(gateway: string, gatewayRefs: readonly string[]): Promise<Map<string, string>>
  /** The tenant of our payment id, when the vendor echoed it back. */
  findTenantByPaymentId(paymentId: string): Promise<string | undefined>
}

/**
 * What the inbox needs from billing for saved-method events (card updater: new expiry, replaced
 * card). Defined here, by its consumer; billing implements it. Without it such events are ignored.
 */
export interface WebhookMethodsPort {
  /** Owners of the saved methods with these gateway tokens: token → tenant (unambiguous ones only). */
  findTenantsByMethodRefs(gateway: string, refs: readonly string[]): Promise<Map<string, string>>
  /** Applies the update in the inbox row's transaction (idempotent). */
  applyMethodUpdate(
    tenant: string,
    gateway: string,
    event: GatewayEvent,
    opts: { tx: Tx },
  ): Promise<InboxOutcome>
  /**
   * After the round committed: what must not run inside it (charging the customer's open invoices
   * again). Best effort: applyMethodUpdate already made those invoices due, so the scheduler retries
   * them if this fails.
   */
  afterMethodUpdate(tenant: string, gateway: string, event: GatewayEvent): Promise<void>
}

export type WebhookVerifier = Pick<PaymentGateway, 'name' | 'verifyWebhook'>
