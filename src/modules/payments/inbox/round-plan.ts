import type { Logger } from 'pino'
import type { GatewayEvent } from '../gateway.js'
import type { WebhookMethodsPort, WebhookPaymentsPort } from './inbox.ports.js'
import { webhookTenantUnresolved } from './webhook-inbox.errors.js'
import { fromStoredEvent, UNROUTED_TENANT } from './webhook-inbox.js'
import { rowKey, type ClaimedRow, type ExpectedMark, type ProcessedMark } from './webhook-inbox.store.js'

/**
 * Before a round's transaction: whom each due row applies to, and what it needs (settled without
 * payments, applied for a tenant, or failed because its tenant cannot be told yet). Tenants are
 * looked up outside the round's transaction: on PGlite (one connection) a lookup through another
 * handle inside it would wait for it forever.
 */

type Resolved = { tenant: string } | { error: unknown }

/** A due row, before its round: settled without payments, applied for a tenant, or failed. */
export type RowPlan =
  { readonly settled: ProcessedMark } | { readonly tenant: string } | { readonly error: unknown }

export interface PlanDeps {
  readonly payments: WebhookPaymentsPort
  readonly methods?: WebhookMethodsPort | undefined
  readonly logger?: Logger | undefined
}

export const isMethodUpdate = (row: ClaimedRow) => row.event.type === 'payment_method.updated'

export const keyOf = (row: ClaimedRow) => rowKey(row.tenantId, row.gateway, row.eventId)

/**
 * A row's event, decoded once per round whatever asks for it (tenant lookup, settling, applying, the
 * one-by-one retry of a set), keyed by the stored object the peek read (claimRows keeps it).
 */
export function eventDecoder(): (row: ClaimedRow) => GatewayEvent {
  const decoded = new WeakMap<ClaimedRow['event'], GatewayEvent>()
  return (row) => {
    let e = decoded.get(row.event)
    if (!e) decoded.set(row.event, (e = fromStoredEvent(row.event)))
    return e
  }
}

async function resolveTenant(
  deps: PlanDeps,
  row: ClaimedRow,
  event: GatewayEvent,
  owners: ReadonlyMap<string, string>,
): Promise<string> {
  if (event.paymentRef) {
    const owner = owners.get(`${row.gateway}\u0000${event.paymentRef}`)
    if (owner) return owner
  }
  if (event.paymentId) {
    const t = await deps.payments.findTenantByPaymentId(event.paymentId)
    if (t) return t
  }
  // Payouts and other account-level events name no payment: the tenant the gateway echoed back.
  if (!event.paymentRef && !event.paymentId && row.tenantId !== UNROUTED_TENANT) return row.tenantId
  throw webhookTenantUnresolved(
    event.paymentRef || event.paymentId
      ? `no payment ${event.paymentRef ?? event.paymentId} on gateway ${row.gateway} (yet)`
      : 'it names neither a payment nor a tenant',
  )
}

/** ref owners of one kind, looked up once per gateway for the whole round: `gateway\0ref` → tenant. */
async function ownersByGateway(
  refs: ReadonlyMap<string, string[]>,
  lookup: (gateway: string, refs: readonly string[]) => Promise<Map<string, string> | undefined>,
): Promise<Map<string, string>> {
  const owners = new Map<string, string>()
  for (const [gateway, list] of refs)
    for (const [ref, tenant] of (await lookup(gateway, list)) ?? [])
      owners.set(`${gateway}\u0000${ref}`, tenant)
  return owners
}

/** The tenant each event applies to, or why it cannot be told yet; ignored events are left out. */
async function resolveAll(
  deps: PlanDeps,
  rows: readonly ClaimedRow[],
  eventOf: (row: ClaimedRow) => GatewayEvent,
): Promise<Map<string, Resolved>> {
  const refsByGateway = new Map<string, string[]>()
  const methodRefsByGateway = new Map<string, string[]>()
  const push = (m: Map<string, string[]>, gateway: string, ref: string) =>
    (m.get(gateway) ?? m.set(gateway, []).get(gateway)!).push(ref)
  for (const row of rows) {
    const ref = row.event.paymentRef
    if (ref) push(refsByGateway, row.gateway, ref)
    const methodRef = isMethodUpdate(row) ? row.event.method?.ref : undefined
    if (methodRef) push(methodRefsByGateway, row.gateway, methodRef)
  }
  const owners = await ownersByGateway(refsByGateway, (g, refs) =>
    deps.payments.findTenantsByGatewayRefs(g, refs),
  )
  const methodOwners = await ownersByGateway(methodRefsByGateway, async (g, refs) =>
    deps.methods?.findTenantsByMethodRefs(g, refs),
  )
  const out = new Map<string, Resolved>()
  await Promise.all(
    rows.map(async (row) => {
      const event = eventOf(row)
      if (event.type === 'ignored') return
      if (isMethodUpdate(row)) {
        // A method we never saved (a one-off payment's card, another integration's): nothing to
        // update, so the row stays unresolved and is settled as ignored.
        const owner = methodOwners.get(`${row.gateway}\u0000${event.method?.ref ?? ''}`)
        if (owner) out.set(keyOf(row), { tenant: owner })
        return
      }
      out.set(
        keyOf(row),
        await resolveTenant(deps, row, event, owners).then(
          (tenant) => ({ tenant }),
          (error: unknown) => ({ error }),
        ),
      )
    }),
  )
  return out
}

/** Rows that need no payments call (ignored, or their tenant unknown) are settled here. */
function settleWithoutPayments(
  deps: PlanDeps,
  row: ClaimedRow,
  event: GatewayEvent,
  resolved: Resolved | undefined,
): ProcessedMark | undefined {
  // Vendor events we do not map change nothing; they are kept for the operator.
  if (event.type === 'ignored' || !resolved) {
    const hint = row.tenantId === UNROUTED_TENANT ? undefined : row.tenantId
    return { row, outcome: 'ignored', appliedTenantId: hint }
  }
  if ('error' in resolved) throw resolved.error
  if (row.tenantId !== UNROUTED_TENANT && row.tenantId !== resolved.tenant) {
    deps.logger?.warn(
      { eventId: row.eventId, gateway: row.gateway, named: row.tenantId, owner: resolved.tenant },
      'webhook names another tenant than the payment owner; applied for the owner',
    )
  }
  return undefined
}

/** What each due row needs, by its key, decided from its event and tenant. */
export async function planRows(
  deps: PlanDeps,
  due: readonly ClaimedRow[],
  eventOf: (row: ClaimedRow) => GatewayEvent,
): Promise<Map<string, RowPlan>> {
  const tenants = await resolveAll(deps, due, eventOf)
  const plans = new Map<string, RowPlan>()
  for (const row of due) {
    const key = keyOf(row)
    const resolved = tenants.get(key)
    try {
      const settled = settleWithoutPayments(deps, row, eventOf(row), resolved)
      plans.set(key, settled ? { settled } : { tenant: (resolved as { tenant: string }).tenant })
    } catch (error) {
      plans.set(key, { error })
    }
  }
  return plans
}

/** The mark a row gets with its claim: what its plan expects if applying goes as usual. */
export const expectedMark = (row: ClaimedRow, plan: RowPlan): ExpectedMark =>
  'settled' in plan
    ? { row, outcome: plan.settled.outcome, appliedTenantId: plan.settled.appliedTenantId }
    : 'tenant' in plan
      ? { row, outcome: 'applied', appliedTenantId: plan.tenant }
      : { row, outcome: null, appliedTenantId: undefined }
