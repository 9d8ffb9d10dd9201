/** Products and prices: created once, read often, never changed in place (archive and add a new price). */
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import { currency as lookupCurrency } from '../../shared/money.js'
import type { Actor, Product } from './billing.js'
import { billingError } from './billing.errors.js'
import { loadPrice, modelToJson, priceOf, productOf, replayOf } from './billing.store.js'
import { auditIn, type BillingContext } from './context.js'
import { modelProblems, type Interval, type Price, type PricingModel } from './pricing.js'

export interface ProductInput {
  readonly name: string
  readonly metadata?: Record<string, unknown>
  readonly idempotencyKey?: string
}

export interface PriceInput {
  readonly productId: string
  readonly currency: string
  readonly model: PricingModel
  readonly interval: Interval
  readonly trialDays?: number
  readonly taxRateBps?: number
  readonly dunningDays?: readonly number[]
  readonly dunningFinal?: 'unpaid' | 'canceled'
  readonly idempotencyKey?: string
}

export const DEFAULT_DUNNING_DAYS = [1, 3, 5, 7] as const

const hashOf = (v: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)))
    .digest('base64url')

export async function createProduct(
  ctx: BillingContext,
  tenant: string,
  input: ProductInput,
  actor: Actor,
): Promise<Product> {
  const hash = hashOf([input.name, input.metadata ?? {}])
  const replay = await replayOf(ctx.db, 'billing_products', 'product_id', tenant, input.idempotencyKey, hash)
  if (replay) return getProduct(ctx, tenant, replay)
  const id = ctx.ids('prod')
  await ctx.db.transaction().execute(async (tx) => {
    await sql`INSERT INTO billing_products (tenant_id, product_id, name, metadata, idempotency_key, request_hash, created_at)
      VALUES (${tenant}, ${id}, ${input.name}, ${JSON.stringify(input.metadata ?? {})}::jsonb,
        ${input.idempotencyKey ?? null}, ${hash}, ${ctx.clock.now()})`.execute(tx)
    await auditIn(ctx, tx, tenant, actor, 'billing.product.create', `product:${id}`, { name: input.name })
  })
  return getProduct(ctx, tenant, id)
}

export async function getProduct(ctx: BillingContext, tenant: string, id: string): Promise<Product> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM billing_products
    WHERE tenant_id = ${tenant} AND product_id = ${id}`.execute(ctx.db)
  if (!r.rows[0]) throw billingError('BILLING_PRODUCT_NOT_FOUND', id)
  return productOf(r.rows[0])
}

export async function listProducts(ctx: BillingContext, tenant: string, limit = 100): Promise<Product[]> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM billing_products WHERE tenant_id = ${tenant}
    ORDER BY product_id LIMIT ${limit}`.execute(ctx.db)
  return r.rows.map(productOf)
}

export async function createPrice(
  ctx: BillingContext,
  tenant: string,
  input: PriceInput,
  actor: Actor,
): Promise<Price> {
  const problems = modelProblems(input.model)
  if (problems.length > 0) throw billingError('BILLING_INVALID', problems.join('; '))
  lookupCurrency(input.currency)
  const days = input.dunningDays ?? DEFAULT_DUNNING_DAYS
  if (days.some((d, i) => !Number.isInteger(d) || d < 1 || (i > 0 && d <= days[i - 1]!)))
    throw billingError('BILLING_INVALID', 'dunningDays must be increasing whole days from 1')
  const hash = hashOf([
    input.productId,
    input.currency,
    modelToJson(input.model),
    input.interval,
    input.trialDays ?? 0,
    input.taxRateBps ?? 0,
    days,
    input.dunningFinal ?? 'canceled',
  ])
  const replay = await replayOf(ctx.db, 'billing_prices', 'price_id', tenant, input.idempotencyKey, hash)
  if (replay) return loadPrice(ctx.db, tenant, replay)
  await getProduct(ctx, tenant, input.productId)
  const id = ctx.ids('price')
  await ctx.db.transaction().execute(async (tx) => {
    await sql`INSERT INTO billing_prices (tenant_id, price_id, product_id, currency, model, interval_unit, interval_count,
        trial_days, tax_rate_bps, dunning_days, dunning_final, idempotency_key, request_hash, created_at)
      VALUES (${tenant}, ${id}, ${input.productId}, ${input.currency}, ${JSON.stringify(modelToJson(input.model))}::jsonb,
        ${input.interval.unit}, ${input.interval.count}, ${input.trialDays ?? 0}, ${input.taxRateBps ?? 0},
        ${[...days]}::int[], ${input.dunningFinal ?? 'canceled'}, ${input.idempotencyKey ?? null}, ${hash},
        ${ctx.clock.now()})`.execute(tx)
    await auditIn(ctx, tx, tenant, actor, 'billing.price.create', `price:${id}`, {
      productId: input.productId,
      currency: input.currency,
      kind: input.model.kind,
    })
  })
  await ctx.accounts(tenant, input.currency)
  return loadPrice(ctx.db, tenant, id)
}

export async function listPrices(
  ctx: BillingContext,
  tenant: string,
  productId?: string,
  limit = 100,
): Promise<Price[]> {
  const r = productId
    ? await sql<
        Record<string, unknown>
      >`SELECT * FROM billing_prices WHERE tenant_id = ${tenant} AND product_id = ${productId}
        ORDER BY price_id LIMIT ${limit}`.execute(ctx.db)
    : await sql<Record<string, unknown>>`SELECT * FROM billing_prices WHERE tenant_id = ${tenant}
        ORDER BY price_id LIMIT ${limit}`.execute(ctx.db)
  return r.rows.map(priceOf)
}
