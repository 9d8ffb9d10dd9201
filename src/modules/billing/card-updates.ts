/**
 * Card-updater events (the issuer renewed or replaced a saved card) as the gateway webhook inbox
 * hands them over: billing's side of payments' WebhookMethodsPort.
 *
 * 1. find: the inbox knows the gateway and the vendor's token only, not the tenant. Each saved method
 *    keeps a keyed hash of `gateway:token` (vendor_ref_ix, the platform's blind-index key, not a
 *    tenant's: the lookup happens before any tenant is known), so the token itself stays encrypted.
 * 2. apply (in the inbox row's transaction): the stored token and display data are replaced, an
 *    expired method becomes active again, the event and the audit entry are written, and the
 *    customer's open invoices of past-due / unpaid subscriptions are made due now (a durable "retry
 *    me" the scheduler honours even if step 3 never runs).
 * 3. after the commit: one new attempt for those invoices at once (recoverCustomer), the same
 *    recovery a customer triggers by saving a new default method.
 */
import { sql } from 'kysely'
import type { GatewayEvent } from '../payments/index.js'
import type { Actor } from './billing.js'
import { BILLING_EVENTS } from './billing.events.js'
import { auditIn, billingNow, type BillingContext, type Tx } from './context.js'
import { methodFields, vendorRefIndex, type Display } from './method-tokens.js'
import { recoverCustomer } from './methods.js'

const webhookActor = (gateway: string): Actor => ({ actor: `gateway:${gateway}`, origin: 'webhook' })

/** token → tenant for the saved methods of this gateway with these tokens; ambiguous ones left out. */
export async function findTenantsByMethodRefs(
  ctx: BillingContext,
  gateway: string,
  refs: readonly string[],
): Promise<Map<string, string>> {
  const byIndex = new Map(
    refs.map((ref) => [vendorRefIndex(ctx.fieldCipher, gateway, ref).toString('hex'), ref]),
  )
  if (byIndex.size === 0) return new Map()
  const r = await sql<{ ix: string; tenants: string[] }>`
    SELECT encode(vendor_ref_ix, 'hex') AS ix, array_agg(DISTINCT tenant_id) AS tenants
    FROM billing_payment_methods
    WHERE gateway = ${gateway} AND vendor_ref_ix = ANY(${[...byIndex.keys()].map((h) => Buffer.from(h, 'hex'))}::bytea[])
      AND status <> 'detached'
    GROUP BY vendor_ref_ix`.execute(ctx.db)
  const out = new Map<string, string>()
  for (const row of r.rows) {
    const ref = byIndex.get(row.ix)
    if (ref && row.tenants.length === 1) out.set(ref, row.tenants[0]!)
  }
  return out
}

type Outcome = 'applied' | 'duplicate' | 'ignored'

/** Step 2. Idempotent: the same update twice changes nothing the second time ('duplicate'). */
export async function applyMethodUpdate(
  ctx: BillingContext,
  tx: Tx,
  tenant: string,
  gateway: string,
  event: GatewayEvent,
): Promise<Outcome> {
  const update = event.method
  if (event.type !== 'payment_method.updated' || !update) return 'ignored'
  const r = await sql<{
    payment_method_id: string
    customer_id: string
    status: string
    token_ct: Uint8Array
    display_ct: Uint8Array
  }>`SELECT payment_method_id, customer_id, status, token_ct, display_ct FROM billing_payment_methods
    WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND vendor_ref_ix = ${vendorRefIndex(ctx.fieldCipher, gateway, update.ref)}
      AND status <> 'detached'
    FOR UPDATE`.execute(tx)
  const row = r.rows[0]
  if (!row) return 'ignored'
  const id = row.payment_method_id
  const f = methodFields(ctx.fieldCipher)
  const stored = JSON.parse(await f.token.decryptString(tenant, id, row.token_ct)) as {
    customerRef: string
    token: string
  }
  const shown = JSON.parse(await f.display.decryptString(tenant, id, row.display_ct)) as Display
  const token = update.token ?? stored.token
  const display: Display = {
    ...shown,
    ...(update.brand ? { brand: update.brand } : {}),
    ...(update.last4 ? { last4: update.last4 } : {}),
    ...(update.expMonth ? { expMonth: update.expMonth } : {}),
    ...(update.expYear ? { expYear: update.expYear } : {}),
  }
  const changed = (['brand', 'last4', 'expMonth', 'expYear'] as const).filter((k) => display[k] !== shown[k])
  if (token === stored.token && changed.length === 0 && row.status === 'active') return 'duplicate'

  const now = await billingNow(ctx, tenant, tx)
  const tokenCt = await f.token.encrypt(
    tenant,
    id,
    JSON.stringify({ customerRef: stored.customerRef, token }),
  )
  const displayCt = await f.display.encrypt(tenant, id, JSON.stringify(display))
  await sql`UPDATE billing_payment_methods SET token_ct = ${tokenCt}, display_ct = ${displayCt},
      vendor_ref_ix = ${vendorRefIndex(ctx.fieldCipher, gateway, token)}, status = 'active', updated_at = ${ctx.clock.now()}
    WHERE tenant_id = ${tenant} AND payment_method_id = ${id}`.execute(tx)
  // The durable half of recovery: what the inbox's after-commit step charges now, the scheduler
  // would charge on its next run if that step never happened.
  const due = await sql<{ invoice_id: string }>`UPDATE billing_invoices i SET next_attempt_at = ${now}
    FROM billing_subscriptions s
    WHERE i.tenant_id = ${tenant} AND i.customer_id = ${row.customer_id} AND i.status = 'open'
      AND i.amount_due > i.amount_paid
      AND s.tenant_id = i.tenant_id AND s.subscription_id = i.subscription_id AND s.status IN ('past_due', 'unpaid')
    RETURNING i.invoice_id`.execute(tx)
  await ctx.outbox.enqueue(tx, [
    {
      tenantId: tenant,
      topic: BILLING_EVENTS.paymentMethodUpdated,
      key: row.customer_id,
      payload: { paymentMethodId: id, customerId: row.customer_id, gateway, status: 'active' },
    },
  ])
  // Which fields changed, never their values: the audit log holds no card data.
  await auditIn(
    ctx,
    tx,
    tenant,
    webhookActor(gateway),
    'billing.payment_method.card_update',
    `payment_method:${id}`,
    {
      customerId: row.customer_id,
      gatewayEventId: event.id,
      changed: token === stored.token ? changed : [...changed, 'token'],
      reactivated: row.status !== 'active',
      invoicesDue: due.rows.map((x) => x.invoice_id),
    },
  )
  return 'applied'
}

/** Step 3: the customer of the updated method gets one new attempt per open past-due invoice. */
export async function afterMethodUpdate(
  ctx: BillingContext,
  tenant: string,
  gateway: string,
  event: GatewayEvent,
): Promise<void> {
  if (!event.method) return
  const token = event.method.token ?? event.method.ref
  const r = await sql<{ customer_id: string }>`SELECT customer_id FROM billing_payment_methods
    WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND vendor_ref_ix = ${vendorRefIndex(ctx.fieldCipher, gateway, token)}
      AND status = 'active'`.execute(ctx.db)
  for (const { customer_id } of r.rows) await recoverCustomer(ctx, tenant, customer_id, webhookActor(gateway))
}
