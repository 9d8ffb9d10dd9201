/**
 * Saved payment methods per customer (party). The gateway keeps the card; we keep its vault token
 * and display data, encrypted. Saving a default method recovers the customer's past-due invoices at
 * once (one new attempt each), which is how a customer "updates their card" after a failed renewal
 * (a gateway's card updater does the same through card-updates.ts).
 */
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { isGatewayError, type SavedMethod, type SetupSession } from '../payments/index.js'
import type { Actor, PaymentMethod } from './billing.js'
import { BILLING_EVENTS } from './billing.events.js'
import { billingError } from './billing.errors.js'
import { replayOf } from './billing.store.js'
import { chargeInvoices, type ChargeSummary } from './charge.js'
import { auditIn, billingNow, gatewayOf, type BillingContext } from './context.js'
import { methodFields, vendorRefIndex, type Display } from './method-tokens.js'

export interface AttachInput {
  readonly gateway: string
  /** What the browser produced: a Braintree nonce, a Stripe PaymentMethod id, a sandbox magic method. */
  readonly paymentMethod: string
  readonly setDefault?: boolean
  readonly idempotencyKey?: string
}

type Row = Record<string, unknown>

async function toMethod(ctx: BillingContext, tenant: string, r: Row): Promise<PaymentMethod> {
  const id = r.payment_method_id as string
  const d = JSON.parse(
    await methodFields(ctx.fieldCipher).display.decryptString(tenant, id, r.display_ct as Uint8Array),
  ) as Display
  return {
    id,
    customerId: r.customer_id as string,
    gateway: r.gateway as string,
    kind: r.kind as PaymentMethod['kind'],
    status: r.status as PaymentMethod['status'],
    isDefault: r.is_default as boolean,
    brand: d.brand ?? null,
    last4: d.last4 ?? null,
    expMonth: d.expMonth ?? null,
    expYear: d.expYear ?? null,
    email: d.email ?? null,
    createdAt: new Date(r.created_at as string),
  }
}

async function requireCustomer(ctx: BillingContext, tenant: string, customerId: string) {
  if (!(await ctx.customers.exists(tenant, customerId)))
    throw billingError('BILLING_CUSTOMER_NOT_FOUND', customerId)
}

/** The gateway customer reference already used for this customer on this gateway, if any. */
async function customerRefOf(ctx: BillingContext, tenant: string, customerId: string, gateway: string) {
  const r = await sql<{ payment_method_id: string; token_ct: Uint8Array }>`
    SELECT payment_method_id, token_ct FROM billing_payment_methods
    WHERE tenant_id = ${tenant} AND customer_id = ${customerId} AND gateway = ${gateway} LIMIT 1`.execute(
    ctx.db,
  )
  const row = r.rows[0]
  if (!row) return undefined
  const t = JSON.parse(
    await methodFields(ctx.fieldCipher).token.decryptString(tenant, row.payment_method_id, row.token_ct),
  ) as { customerRef: string }
  return t.customerRef
}

export async function startSetup(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  gateway: string,
): Promise<SetupSession> {
  await requireCustomer(ctx, tenant, customerId)
  const gw = gatewayOf(ctx, gateway)
  const customerRef = await customerRefOf(ctx, tenant, customerId, gateway)
  return gw.startSetup({ tenantId: tenant, ...(customerRef ? { customerRef } : {}) })
}

export async function attachMethod(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  input: AttachInput,
  actor: Actor,
): Promise<{ method: PaymentMethod; recovery: ChargeSummary }> {
  const hash = createHash('sha256')
    .update(JSON.stringify([customerId, input.gateway, input.paymentMethod, input.setDefault ?? true]))
    .digest('base64url')
  const replay = await replayOf(
    ctx.db,
    'billing_payment_methods',
    'payment_method_id',
    tenant,
    input.idempotencyKey,
    hash,
  )
  if (replay)
    return {
      method: await getMethod(ctx, tenant, customerId, replay),
      recovery: { attempted: 0, succeeded: 0, failed: 0 },
    }
  await requireCustomer(ctx, tenant, customerId)
  const gw = gatewayOf(ctx, input.gateway)
  const customerRef = await customerRefOf(ctx, tenant, customerId, input.gateway)
  let saved: SavedMethod
  try {
    saved = await gw.save({
      tenantId: tenant,
      paymentMethod: input.paymentMethod,
      at: await billingNow(ctx, tenant),
      ...(customerRef ? { customerRef } : {}),
    })
  } catch (err) {
    if (isGatewayError(err) && err.failure === 'declined')
      throw billingError('BILLING_PAYMENT_METHOD_REFUSED', err.vendorCode ?? err.message)
    throw err
  }
  const id = ctx.ids('bpm')
  const now = ctx.clock.now()
  const f = methodFields(ctx.fieldCipher)
  const tokenCt = await f.token.encrypt(
    tenant,
    id,
    JSON.stringify({ customerRef: saved.customerRef, token: saved.token }),
  )
  const display: Display = {
    ...(saved.brand ? { brand: saved.brand } : {}),
    ...(saved.last4 ? { last4: saved.last4 } : {}),
    ...(saved.expMonth ? { expMonth: saved.expMonth } : {}),
    ...(saved.expYear ? { expYear: saved.expYear } : {}),
    ...(saved.email ? { email: saved.email } : {}),
  }
  const displayCt = await f.display.encrypt(tenant, id, JSON.stringify(display))
  const makeDefault = input.setDefault ?? true
  await ctx.db.transaction().execute(async (tx) => {
    if (makeDefault)
      await sql`UPDATE billing_payment_methods SET is_default = false, updated_at = ${now}
        WHERE tenant_id = ${tenant} AND customer_id = ${customerId} AND is_default`.execute(tx)
    await sql`INSERT INTO billing_payment_methods (tenant_id, payment_method_id, customer_id, gateway, token_ct, display_ct,
        vendor_ref_ix, kind, status, is_default, idempotency_key, request_hash, created_at, updated_at)
      VALUES (${tenant}, ${id}, ${customerId}, ${input.gateway}, ${tokenCt}, ${displayCt},
        ${vendorRefIndex(ctx.fieldCipher, input.gateway, saved.token)}, ${saved.kind}, 'active',
        ${makeDefault}, ${input.idempotencyKey ?? null}, ${hash}, ${now}, ${now})`.execute(tx)
    // Subscriptions pinned to another method of this customer follow the new default.
    if (makeDefault)
      await sql`UPDATE billing_subscriptions SET payment_method_id = NULL, updated_at = ${now}
        WHERE tenant_id = ${tenant} AND customer_id = ${customerId} AND payment_method_id IS NOT NULL`.execute(
        tx,
      )
    await ctx.outbox.enqueue(tx, [
      {
        tenantId: tenant,
        topic: BILLING_EVENTS.paymentMethodAttached,
        key: customerId,
        payload: { paymentMethodId: id, customerId, gateway: input.gateway, status: 'active' },
      },
    ])
    await auditIn(ctx, tx, tenant, actor, 'billing.payment_method.attach', `payment_method:${id}`, {
      customerId,
      gateway: input.gateway,
      kind: saved.kind,
      default: makeDefault,
    })
  })
  const recovery = makeDefault
    ? await recoverCustomer(ctx, tenant, customerId, actor)
    : { attempted: 0, succeeded: 0, failed: 0 }
  return { method: await getMethod(ctx, tenant, customerId, id), recovery }
}

/** One new attempt now for every open invoice of the customer's past-due or unpaid subscriptions. */
export async function recoverCustomer(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  actor: Actor,
): Promise<ChargeSummary> {
  const r = await sql<{ invoice_id: string; attempt_count: number }>`
    SELECT i.invoice_id, i.attempt_count FROM billing_invoices i
    JOIN billing_subscriptions s ON s.tenant_id = i.tenant_id AND s.subscription_id = i.subscription_id
    WHERE i.tenant_id = ${tenant} AND i.customer_id = ${customerId} AND i.status = 'open'
      AND i.amount_due > i.amount_paid AND s.status IN ('past_due', 'unpaid', 'active')
    ORDER BY i.created_at`.execute(ctx.db)
  if (r.rows.length === 0) return { attempted: 0, succeeded: 0, failed: 0 }
  const now = await billingNow(ctx, tenant)
  return chargeInvoices(
    ctx,
    tenant,
    r.rows.map((x) => ({ invoiceId: x.invoice_id, attempt: x.attempt_count + 1 })),
    now,
    actor,
  )
}

export async function getMethod(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  id: string,
): Promise<PaymentMethod> {
  const r = await sql<Row>`SELECT * FROM billing_payment_methods
    WHERE tenant_id = ${tenant} AND customer_id = ${customerId} AND payment_method_id = ${id}`.execute(ctx.db)
  if (!r.rows[0]) throw billingError('BILLING_PAYMENT_METHOD_NOT_FOUND', id)
  return toMethod(ctx, tenant, r.rows[0])
}

export async function listMethods(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
): Promise<PaymentMethod[]> {
  // Another tenant's customer id is "no such customer", as for every other object (not an empty list).
  await requireCustomer(ctx, tenant, customerId)
  const r = await sql<Row>`SELECT * FROM billing_payment_methods
    WHERE tenant_id = ${tenant} AND customer_id = ${customerId} AND status <> 'detached'
    ORDER BY created_at, payment_method_id LIMIT 100`.execute(ctx.db)
  return Promise.all(r.rows.map((row) => toMethod(ctx, tenant, row)))
}

export async function detachMethod(
  ctx: BillingContext,
  tenant: string,
  customerId: string,
  id: string,
  actor: Actor,
): Promise<PaymentMethod> {
  await getMethod(ctx, tenant, customerId, id)
  const now = ctx.clock.now()
  await ctx.db.transaction().execute(async (tx) => {
    await sql`UPDATE billing_payment_methods SET status = 'detached', is_default = false, updated_at = ${now}
      WHERE tenant_id = ${tenant} AND payment_method_id = ${id}`.execute(tx)
    await sql`UPDATE billing_subscriptions SET payment_method_id = NULL
      WHERE tenant_id = ${tenant} AND payment_method_id = ${id}`.execute(tx)
    await auditIn(ctx, tx, tenant, actor, 'billing.payment_method.detach', `payment_method:${id}`, {
      customerId,
    })
  })
  return getMethod(ctx, tenant, customerId, id)
}
