/**
 * The billing set-up the tests and the bench share (billing.crash, billing.year, bench/billing.ts):
 * a tenant's test clock, a product with one price, customers with a saved card, and — for the bench —
 * many subscriptions already trialing, inserted in bulk. Everything goes through billing's own use
 * cases except the bulk paths, which write exactly the rows those use cases would.
 */
import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { FieldCipher } from '../../crypto/index.js'
import type { SavedMethodsGateway } from '../../payments/index.js'
import type { Actor } from '../billing.js'
import type { Billing } from '../billing.service.js'
import type { PriceInput } from '../catalog.js'
import { methodFields, vendorRefIndex } from '../method-tokens.js'
import type { Price } from '../pricing.js'

export interface CatalogueFixture {
  readonly productId: string
  readonly price: Price
}

/** A product and its price; with `clockAt`, the tenant's test clock is set there first. */
export async function catalogue(
  billing: Billing,
  tenant: string,
  actor: Actor,
  opts: { productName: string; price: Omit<PriceInput, 'productId'>; clockAt?: Date },
): Promise<CatalogueFixture> {
  if (opts.clockAt) await billing.scheduler.runTestClock(tenant, opts.clockAt, actor)
  const product = await billing.catalog.createProduct(tenant, { name: opts.productName }, actor)
  const price = await billing.catalog.createPrice(tenant, { productId: product.id, ...opts.price }, actor)
  return { productId: product.id, price }
}

/** Saves a card for the customer through the normal path (gateway save, encryption, audit). */
export async function saveCard(
  billing: Billing,
  tenant: string,
  customerId: string,
  actor: Actor,
  paymentMethod = 'pm_card_visa',
  gateway = 'sandbox',
) {
  return billing.paymentMethods.attach(tenant, customerId, { gateway, paymentMethod }, actor)
}

/**
 * Many customers with a default saved card, for the bench: the gateway's save() makes each vault
 * token, then one INSERT writes the rows attach would (token and display encrypted, vendor-token
 * hash), without attach's per-customer transaction, audit entry and recovery query.
 */
export async function bulkSavedCards(
  deps: { db: Db; fieldCipher: FieldCipher; gateway: SavedMethodsGateway; ids: (prefix: string) => string },
  tenant: string,
  customers: number,
  paymentMethod = 'pm_card_visa',
): Promise<{ customer: string; pm: string }[]> {
  const f = methodFields(deps.fieldCipher)
  const out: { customer: string; pm: string }[] = []
  for (let start = 0; start < customers; start += 1000) {
    const rows = await Promise.all(
      Array.from({ length: Math.min(1000, customers - start) }, async () => {
        const customer = `pty_${randomBytes(16).toString('hex')}`
        const id = deps.ids('bpm')
        const saved = await deps.gateway.save({ tenantId: tenant, paymentMethod })
        const token = await f.token.encrypt(
          tenant,
          id,
          JSON.stringify({ customerRef: saved.customerRef, token: saved.token }),
        )
        const display = await f.display.encrypt(
          tenant,
          id,
          JSON.stringify({
            brand: saved.brand,
            last4: saved.last4,
            expMonth: saved.expMonth,
            expYear: saved.expYear,
          }),
        )
        return {
          customer,
          id,
          token,
          display,
          ix: vendorRefIndex(deps.fieldCipher, deps.gateway.name, saved.token),
          kind: saved.kind,
        }
      }),
    )
    await sql`INSERT INTO billing_payment_methods (tenant_id, payment_method_id, customer_id, gateway, token_ct, display_ct,
        vendor_ref_ix, kind, status, is_default, created_at, updated_at)
      SELECT ${tenant}, x.id, x.cus, ${deps.gateway.name}, x.tok, x.disp, x.ix, x.kind, 'active', true, now(), now()
      FROM unnest(${rows.map((r) => r.id)}::text[], ${rows.map((r) => r.customer)}::text[],
        ${rows.map((r) => r.token)}::bytea[], ${rows.map((r) => r.display)}::bytea[],
        ${rows.map((r) => r.ix)}::bytea[], ${rows.map((r) => r.kind)}::text[]) AS x(id, cus, tok, disp, ix, kind)`.execute(
      deps.db,
    )
    for (const r of rows) out.push({ customer: r.customer, pm: r.id })
  }
  return out
}

/**
 * `count` subscriptions of the price, trialing until `renewAt` (so one billing run renews them all),
 * spread over the given customers and their cards; inserted 10,000 per statement.
 */
export async function bulkTrialingSubscriptions(
  db: Db,
  tenant: string,
  price: Price,
  owners: readonly { customer: string; pm: string }[],
  count: number,
  renewAt: Date,
  ids: (prefix: string) => string,
): Promise<void> {
  const trialStart = new Date(renewAt.getTime() - 14 * 86_400_000)
  for (let start = 0; start < count; start += 10_000) {
    const n = Math.min(10_000, count - start)
    const subs = Array.from({ length: n }, () => ids('sub'))
    const who = subs.map((_, i) => owners[(start + i) % owners.length]!)
    await sql`INSERT INTO billing_subscriptions (tenant_id, subscription_id, customer_id, price_id, currency, quantity, status,
        payment_method_id, anchor, period_index, current_period_start, current_period_end, trial_end, next_run_at,
        created_at, updated_at)
      SELECT ${tenant}, x.id, x.cus, ${price.id}, ${price.currency}, 1 + (x.n % 5), 'trialing', x.pm, ${renewAt}, -1,
        ${trialStart}, ${renewAt}, ${renewAt}, ${renewAt}, ${trialStart}, ${trialStart}
      FROM unnest(${subs}::text[], ${who.map((o) => o.customer)}::text[], ${who.map((o) => o.pm)}::text[])
        WITH ORDINALITY AS x(id, cus, pm, n)`.execute(db)
  }
}
