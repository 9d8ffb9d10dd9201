/**
 * Reconciliation end to end: payments made through the payments service and the Stripe adapter (its
 * official SDK against the local Stripe-protocol server), facts from the real ledger mapping, balance
 * transactions from the server, with mismatches planted on the gateway side and a failing fetch.
 */
import braintree from 'braintree'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../../test/support/db.js'
import { startStripeServer, type StripeServer } from '../../../../test/support/vendors/stripe-server.js'
import {
  startBraintreeServer,
  type BraintreeServer,
} from '../../../../test/support/vendors/braintree-server.js'
import { createCatalogue, createOutbox, ledgerEvents } from '../../events/index.js'
import { createLedger, type Ledger } from '../../ledger/index.js'
import { fixedClock, type Clock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { systemIds } from '../../../shared/ids.js'
import {
  createGatewayRegistry,
  createPayments,
  createReconciliation,
  createBraintreeGateway,
  createStripeGateway,
  paymentEvents,
  reconciliationEvents,
  RECONCILIATION_MISMATCH,
  type GatewayRegistry,
  type Payments,
  type Reconciliation,
} from '../index.js'

/** Ledger, payments and reconciliation over one gateway registry, as the composition root wires them. */
function wire(h: DbHandle, clock: Clock, registry: GatewayRegistry) {
  const ledger = createLedger({ db: h.db, clock, ids: systemIds })
  const outbox = createOutbox(createCatalogue([...ledgerEvents, ...paymentEvents, ...reconciliationEvents]))
  const payments = createPayments({ db: h.db, clock, ids: systemIds, ledger, gateways: registry, outbox })
  const rec = createReconciliation({
    db: h.db,
    gateways: registry,
    facts: payments.facts,
    outbox,
    clock,
    ids: systemIds,
  })
  return { ledger, payments, rec }
}

describeEachDb('reconciliation against the local Stripe server', (target) => {
  const clock = fixedClock(new Date('2026-05-01T10:00:00Z'))
  const day = { from: new Date('2026-05-01T00:00:00Z'), to: new Date('2026-05-02T00:00:00Z') }
  let h: DbHandle
  let server: StripeServer
  let ledger: Ledger
  let payments: Payments
  let rec: Reconciliation

  beforeAll(async () => {
    h = await openTestDb(target)
    server = await startStripeServer({ now: () => clock.now() })
    const stripe = createStripeGateway({
      secretKey: server.secretKey,
      apiUrl: `http://${server.host}:${server.port}`,
      maxNetworkRetries: 0,
    })
    const registry = createGatewayRegistry()
    registry.register(stripe)
    ;({ ledger, payments, rec } = wire(h, clock, registry))
  })
  afterAll(async () => {
    await server.close()
    await ledger.close()
    await h.close()
  })

  const tenantOnStripe = async (): Promise<string> => {
    const tenant = freshTenant()
    await payments.routing.setRoutingRules(tenant, [
      { id: 'all-to-stripe', priority: 1, match: {}, gateways: [{ gateway: 'stripe', weight: 1 }] },
    ])
    return tenant
  }
  const pay = async (tenant: string, amount: bigint) => {
    const p = await payments.commands.create(tenant, {
      amount,
      currency: 'USD',
      paymentMethod: 'pm_card_visa',
    })
    expect(p.status).toBe('succeeded')
    expect(p.gateway).toBe('stripe')
    return p
  }
  /** The balance transaction Stripe booked for a payment's charge. */
  const chargeTxn = (gatewayRef: string): string => {
    const charge = server.paymentIntent(gatewayRef)?.latest_charge
    const bt = server.balanceTransactions.find((b) => b.type === 'charge' && b.source === charge)
    if (!bt) throw new Error(`no balance transaction for ${gatewayRef}`)
    return bt.id
  }
  const mismatchEvents = async (tenant: string, runId: string) => {
    const r = await sql<{ payload: { runId: string; status: string; gatewayRef: string } | string }>`
      SELECT payload FROM event_outbox WHERE tenant_id = ${tenant} AND topic = ${RECONCILIATION_MISMATCH}`.execute(
      h.db,
    )
    return r.rows
      .map((x) =>
        typeof x.payload === 'string' ? (JSON.parse(x.payload) as Record<string, string>) : x.payload,
      )
      .filter((p) => p.runId === runId)
  }

  it('payments, fees and refunds booked as the gateway settled them reconcile', async () => {
    const tenant = await tenantOnStripe()
    const a = await pay(tenant, 5000n)
    const b = await pay(tenant, 1234n)
    await payments.commands.refund(tenant, b.id, { amount: 234n })
    const { run, lines } = await rec.run({ tenant, gateway: 'stripe', ...day })
    const differences = lines.filter((l) => l.status !== 'matched')
    expect(
      differences,
      JSON.stringify(differences, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).toEqual([])
    expect(run.status).toBe('reconciled')
    expect(run.counts.matched).toBeGreaterThanOrEqual(3)
    expect(lines.find((l) => l.gatewayRef === a.gatewayRef)).toMatchObject({
      status: 'matched',
      paymentId: a.id,
    })
    expect(await mismatchEvents(tenant, run.id)).toEqual([])
  })

  it('planted mismatches are each reported, stored and published', async () => {
    const tenant = await tenantOnStripe()
    const missingAtGateway = await pay(tenant, 1100n)
    const wrongAmount = await pay(tenant, 2200n)
    const wrongCurrency = await pay(tenant, 3300n)
    server.dropBalanceTransaction(chargeTxn(missingAtGateway.gatewayRef!))
    server.alterBalanceTransaction(chargeTxn(wrongAmount.gatewayRef!), { amount: 2100 })
    server.alterBalanceTransaction(chargeTxn(wrongCurrency.gatewayRef!), { currency: 'eur' })
    const { run, lines } = await rec.run({ tenant, gateway: 'stripe', ...day })
    expect(run.status).toBe('mismatched')
    const line = (ref: string, kind = 'capture') => lines.find((l) => l.gatewayRef === ref && l.kind === kind)
    expect(line(missingAtGateway.gatewayRef!)).toMatchObject({
      status: 'missing_at_gateway',
      ledgerAmount: 1100n,
    })
    expect(line(wrongAmount.gatewayRef!)).toMatchObject({
      status: 'amount_mismatch',
      gatewayAmount: 2100n,
      ledgerAmount: 2200n,
    })
    expect(line(wrongCurrency.gatewayRef!)).toMatchObject({
      status: 'currency_mismatch',
      gatewayCurrency: 'EUR',
      ledgerCurrency: 'USD',
    })
    for (const l of lines) expect(l.explanation).toMatch(/\w+ \w+ \w+/)

    const stored = await rec.get(tenant, run.id)
    const differences = lines.filter((l) => l.status !== 'matched')
    expect(stored?.run).toMatchObject({ status: 'mismatched', gateway: 'stripe', error: null })
    expect(stored?.lines).toHaveLength(differences.length)
    expect(stored?.lines.find((l) => l.gatewayRef === wrongAmount.gatewayRef)).toMatchObject({
      status: 'amount_mismatch',
      gatewayAmount: 2100n,
    })
    const events = await mismatchEvents(tenant, run.id)
    expect(events).toHaveLength(differences.length)
    expect(events.map((e) => e.status)).toEqual(
      expect.arrayContaining(['missing_at_gateway', 'amount_mismatch', 'currency_mismatch']),
    )
  })

  it("records no tenant can be named for (payouts, unknown charges) go to the platform owner's runs only (finding 7)", async () => {
    const tenant = await tenantOnStripe()
    await pay(tenant, 1500n)
    const stray = server.plantBalanceTransaction({
      type: 'charge',
      amount: 4400,
      source: 'ch_not_ours',
      fee: 0,
    })
    const payout = server.plantBalanceTransaction({
      type: 'payout',
      amount: -98765,
      source: 'po_someone',
      fee: 0,
    })
    const { run, lines } = await rec.run({ tenant, gateway: 'stripe', ...day })
    const ids = lines.flatMap((l) => l.recordIds)
    expect(ids).not.toContain(stray)
    expect(ids).not.toContain(payout)
    expect(JSON.stringify(lines, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      '98765',
    )
    expect(run.platformOnly).toBeGreaterThanOrEqual(2)
    const stored = await rec.get(tenant, run.id)
    expect(stored?.run.platformOnly).toBe(run.platformOnly)
    // the platform owner (default tenant) sees them as differences to explain
    const owner = await rec.run({ tenant: 'ten_default', gateway: 'stripe', ...day })
    const ownerIds = owner.lines.flatMap((l) => l.recordIds)
    expect(ownerIds).toEqual(expect.arrayContaining([stray, payout]))
    expect(owner.lines.find((l) => l.gatewayRef === 'ch_not_ours')).toMatchObject({
      status: 'missing_in_ledger',
      gatewayAmount: 4400n,
    })
    expect(owner.run.platformOnly).toBe(0)
  })

  it('a failing fetch (server 500) is stored and reported as failed, never as reconciled', async () => {
    const tenant = await tenantOnStripe()
    await pay(tenant, 700n)
    server.fault({ match: (_m, p) => p.startsWith('/v1/balance_transactions'), status: 500, times: 1 })
    const { run, lines } = await rec.run({ tenant, gateway: 'stripe', ...day })
    expect(run.status).toBe('failed')
    expect(run.error).toMatch(/Stripe/)
    expect(lines).toEqual([])
    expect((await rec.list(tenant))[0]).toMatchObject({ id: run.id, status: 'failed' })
    expect(await mismatchEvents(tenant, run.id)).toEqual([])
  })

  it("another tenant's payments on the same Stripe account are not this tenant's mismatches", async () => {
    const mine = await tenantOnStripe()
    const theirs = await tenantOnStripe()
    await pay(mine, 800n)
    const other = await pay(theirs, 900n)
    const { run, lines } = await rec.run({ tenant: mine, gateway: 'stripe', ...day })
    expect(lines.find((l) => l.gatewayRef === other.gatewayRef)).toBeUndefined()
    expect(run.otherTenants).toBeGreaterThanOrEqual(1)
  })

  it('bad input is refused before anything is fetched', async () => {
    const before = server.requests
    await expect(rec.run({ tenant: 't', gateway: 'nope', ...day })).rejects.toMatchObject({
      code: 'RECONCILIATION_GATEWAY_UNKNOWN',
    })
    await expect(
      rec.run({ tenant: 't', gateway: 'stripe', from: day.to, to: day.from }),
    ).rejects.toMatchObject({
      code: 'RECONCILIATION_RANGE_INVALID',
    })
    expect(server.requests).toBe(before)
  })

  describe('scheduled', () => {
    it('reconciles the last complete day once per tenant with facts, and not again', async () => {
      const tenant = await tenantOnStripe()
      await pay(tenant, 600n)
      clock.set(new Date('2026-05-02T03:00:00Z'))
      const first = await rec.runDue()
      const mine = first.find((r) => r.run.tenantId === tenant)
      expect(mine?.run).toMatchObject({ trigger: 'schedule', from: day.from, to: day.to })
      const again = await rec.runDue()
      expect(again.find((r) => r.run.tenantId === tenant)).toBeUndefined()
    })
  })
})

describeEachDb('reconciliation against the local Braintree server', (target) => {
  const clock = fixedClock(new Date())
  let h: DbHandle
  let server: BraintreeServer
  let ledger: Ledger
  let payments: Payments
  let rec: Reconciliation
  let sdk: braintree.BraintreeGateway

  beforeAll(async () => {
    h = await openTestDb(target)
    server = await startBraintreeServer()
    const options = {
      merchantId: server.merchantId,
      publicKey: server.publicKey,
      privateKey: server.privateKey,
      apiUrl: server.url,
    }
    const registry = createGatewayRegistry()
    registry.register(createBraintreeGateway(options))
    const port = String(server.port)
    sdk = new braintree.BraintreeGateway({
      ...options,
      environment: new braintree.Environment('127.0.0.1', port, server.url, false, '127.0.0.1', port),
    })
    ;({ ledger, payments, rec } = wire(h, clock, registry))
  })
  afterAll(async () => {
    await server.close()
    await ledger.close()
    await h.close()
  })

  it('settled sales and refunds reconcile; an unsettled sale is missing at the gateway', async () => {
    const tenant = freshTenant()
    await payments.routing.setRoutingRules(tenant, [
      { id: 'all-to-braintree', priority: 1, match: {}, gateways: [{ gateway: 'braintree', weight: 1 }] },
    ])
    const pay = (amount: bigint) =>
      payments.commands.create(tenant, { amount, currency: 'USD', paymentMethod: 'fake-valid-visa-nonce' })
    const settled = await pay(4000n)
    const unsettled = await pay(1500n)
    await sdk.testing.settle(settled.gatewayRef!)
    const refund = await payments.commands.refund(tenant, settled.id, { amount: 1000n })
    const credit = server.transaction(settled.gatewayRef!)?.refund_ids[0]
    expect(credit).toBeDefined()
    await sdk.testing.settle(credit!)

    const range = {
      from: new Date(clock.now().getTime() - 3_600_000),
      to: new Date(clock.now().getTime() + 3_600_000),
    }
    const { run, lines } = await rec.run({ tenant, gateway: 'braintree', ...range })
    expect(lines.find((l) => l.gatewayRef === settled.gatewayRef)).toMatchObject({
      status: 'matched',
      kind: 'capture',
    })
    expect(lines.find((l) => l.kind === 'refund')).toMatchObject({ status: 'matched', gatewayAmount: -1000n })
    expect(refund.amount).toBe(1000n)
    expect(lines.find((l) => l.gatewayRef === unsettled.gatewayRef)).toMatchObject({
      status: 'missing_at_gateway',
      ledgerAmount: 1500n,
    })
    expect(run.status).toBe('mismatched')
  })
})
