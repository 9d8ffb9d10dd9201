/** Reconciliation facts (payment_ledger_facts): each money movement booked, as the gateway names it. */
import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { LedgerFact } from '../gateway.js'
import { asJson, big, type Exec } from './statements.js'

export function ledgerFactsStore(db: Db) {
  return {
    async insertFacts(
      tx: Exec,
      tenant: string,
      facts: readonly (LedgerFact & { id: string })[],
    ): Promise<void> {
      if (facts.length === 0) return
      await factsInsert(facts.map((f) => ({ ...f, tenantId: tenant }))).execute(tx)
    },

    async listFacts(tenant: string, gateway: string, from: Date, to: Date): Promise<LedgerFact[]> {
      const r = await sql<{
        payment_id: string | null
        gateway: LedgerFact['gateway']
        gateway_ref: string
        kind: LedgerFact['kind']
        amount: bigint | string
        currency: string
        ledger_txn_id: string
        at: Date
      }>`SELECT payment_id, gateway, gateway_ref, kind, amount, currency, ledger_txn_id, at FROM payment_ledger_facts
        WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND at >= ${from} AND at < ${to}
        ORDER BY at, fact_id`.execute(db)
      return r.rows.map((x) => ({
        kind: x.kind,
        gateway: x.gateway,
        gatewayRef: x.gateway_ref,
        ...(x.payment_id ? { paymentId: x.payment_id } : {}),
        ledgerTransactionId: x.ledger_txn_id,
        amount: big(x.amount),
        currency: x.currency,
        at: x.at,
      }))
    },
  }
}

/** Reconciliation facts, of any tenants, in one statement. */
export function factsInsert(facts: readonly (LedgerFact & { id: string; tenantId: string })[]) {
  const json = facts.map((f) => ({
    t: f.tenantId,
    id: f.id,
    p: f.paymentId ?? null,
    g: f.gateway,
    gr: f.gatewayRef,
    k: f.kind,
    a: f.amount.toString(),
    c: f.currency,
    l: f.ledgerTransactionId,
    at: f.at,
  }))
  return sql`INSERT INTO payment_ledger_facts (tenant_id, fact_id, payment_id, gateway, gateway_ref, kind, amount,
      currency, ledger_txn_id, at)
    SELECT x.t, x.id, x.p, x.g, x.gr, x.k, x.a, x.c, x.l, x.at
    FROM json_to_recordset(${asJson(json)}::json) AS x(t text, id text, p text, g text, gr text, k text,
      a bigint, c text, l text, at timestamptz)`
}
