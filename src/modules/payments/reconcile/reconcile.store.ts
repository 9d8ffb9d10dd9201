import { sql } from 'kysely'
import type { Db } from '../../../shared/db/connect.js'
import type { ReconciliationCounts, ReconciliationLine, ReconciliationStatus } from './reconcile.js'

type Exec = Db

export interface ReconciliationRun {
  readonly id: string
  readonly tenantId: string
  readonly gateway: string
  readonly from: Date
  readonly to: Date
  readonly status: ReconciliationStatus
  readonly trigger: 'cli' | 'schedule' | 'api'
  readonly counts: ReconciliationCounts
  /** Settlement records fetched from the gateway that are this tenant's (the platform owner: also those of no tenant). */
  readonly records: number
  readonly facts: number
  /** Records the payments module attributes to other tenants: not this tenant's to reconcile. */
  readonly otherTenants: number
  /** Records attributable to no tenant (payouts, account fees, unknown charges): only the platform owner's runs show them. */
  readonly platformOnly: number
  readonly error: string | null
  readonly startedAt: Date
  readonly finishedAt: Date
}

interface RunRow {
  tenant_id: string
  run_id: string
  gateway: string
  range_from: Date
  range_to: Date
  status: ReconciliationStatus
  trigger: ReconciliationRun['trigger']
  counts: ReconciliationCounts | string
  records: number
  facts: number
  other_tenants: number
  platform_only: number
  error: string | null
  started_at: Date
  finished_at: Date
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v)
const big = (v: bigint | string | null): bigint | undefined => (v === null ? undefined : BigInt(v))

const toRun = (r: RunRow): ReconciliationRun => ({
  id: r.run_id,
  tenantId: r.tenant_id,
  gateway: r.gateway,
  from: new Date(r.range_from),
  to: new Date(r.range_to),
  status: r.status,
  trigger: r.trigger,
  counts: json(r.counts),
  records: r.records,
  facts: r.facts,
  otherTenants: r.other_tenants,
  platformOnly: r.platform_only,
  error: r.error,
  startedAt: new Date(r.started_at),
  finishedAt: new Date(r.finished_at),
})

export function createReconciliationStore(db: Db) {
  return {
    async insertRun(tx: Exec, run: ReconciliationRun, lines: readonly ReconciliationLine[]): Promise<void> {
      await sql`INSERT INTO payment_reconciliation_runs (tenant_id, run_id, gateway, range_from, range_to, status,
          trigger, counts, records, facts, other_tenants, platform_only, error, started_at, finished_at)
        VALUES (${run.tenantId}, ${run.id}, ${run.gateway}, ${run.from}, ${run.to}, ${run.status}, ${run.trigger},
          ${JSON.stringify(run.counts)}, ${run.records}, ${run.facts}, ${run.otherTenants}, ${run.platformOnly}, ${run.error},
          ${run.startedAt}, ${run.finishedAt})`.execute(tx)
      let n = 0
      for (const l of lines) {
        await sql`INSERT INTO payment_reconciliation_lines (tenant_id, run_id, line_no, status, kind, gateway_ref,
            payment_id, gateway_amount, ledger_amount, gateway_currency, ledger_currency, record_ids, ledger_txn_ids,
            explanation)
          VALUES (${run.tenantId}, ${run.id}, ${++n}, ${l.status}, ${l.kind}, ${l.gatewayRef}, ${l.paymentId ?? null},
            ${l.gatewayAmount?.toString() ?? null}, ${l.ledgerAmount?.toString() ?? null}, ${l.gatewayCurrency ?? null},
            ${l.ledgerCurrency ?? null}, ${JSON.stringify(l.recordIds)}, ${JSON.stringify(l.ledgerTransactionIds)},
            ${l.explanation})`.execute(tx)
      }
    },

    async getRun(tenant: string, runId: string): Promise<ReconciliationRun | undefined> {
      const r = await sql<RunRow>`SELECT * FROM payment_reconciliation_runs
        WHERE tenant_id = ${tenant} AND run_id = ${runId}`.execute(db)
      return r.rows[0] ? toRun(r.rows[0]) : undefined
    },

    async listRuns(
      tenant: string,
      f: { gateway?: string; limit: number; before?: string },
    ): Promise<ReconciliationRun[]> {
      const r = await sql<RunRow>`SELECT * FROM payment_reconciliation_runs WHERE tenant_id = ${tenant}
          ${f.gateway ? sql`AND gateway = ${f.gateway}` : sql``}
          ${f.before ? sql`AND run_id < ${f.before}` : sql``}
        ORDER BY run_id DESC LIMIT ${f.limit}`.execute(db)
      return r.rows.map(toRun)
    },

    async lines(tenant: string, runId: string): Promise<ReconciliationLine[]> {
      const r = await sql<{
        status: ReconciliationLine['status']
        kind: string
        gateway_ref: string
        payment_id: string | null
        gateway_amount: bigint | string | null
        ledger_amount: bigint | string | null
        gateway_currency: string | null
        ledger_currency: string | null
        record_ids: string[] | string
        ledger_txn_ids: string[] | string
        explanation: string
      }>`SELECT * FROM payment_reconciliation_lines WHERE tenant_id = ${tenant} AND run_id = ${runId}
        ORDER BY line_no`.execute(db)
      return r.rows.map((x) => {
        const gatewayAmount = big(x.gateway_amount)
        const ledgerAmount = big(x.ledger_amount)
        return {
          status: x.status,
          kind: x.kind,
          gatewayRef: x.gateway_ref,
          ...(x.payment_id ? { paymentId: x.payment_id } : {}),
          ...(gatewayAmount === undefined ? {} : { gatewayAmount }),
          ...(ledgerAmount === undefined ? {} : { ledgerAmount }),
          ...(x.gateway_currency ? { gatewayCurrency: x.gateway_currency } : {}),
          ...(x.ledger_currency ? { ledgerCurrency: x.ledger_currency } : {}),
          recordIds: json(x.record_ids),
          ledgerTransactionIds: json(x.ledger_txn_ids),
          explanation: x.explanation,
        }
      })
    },

    /** Whether a period was already reconciled (any verdict but failed) — the scheduler skips it. */
    async hasCompletedRun(tenant: string, gateway: string, from: Date, to: Date): Promise<boolean> {
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM payment_reconciliation_runs
        WHERE tenant_id = ${tenant} AND gateway = ${gateway} AND range_from = ${from} AND range_to = ${to}
          AND status <> 'failed'`.execute(db)
      return (r.rows[0]?.n ?? 0) > 0
    },

    /** Tenants with ledger facts on a gateway in a period (the scheduler reconciles each). */
    async tenantsWithFacts(gateway: string, from: Date, to: Date): Promise<string[]> {
      const r = await sql<{ tenant_id: string }>`SELECT DISTINCT tenant_id FROM payment_ledger_facts
        WHERE gateway = ${gateway} AND at >= ${from} AND at < ${to}`.execute(db)
      return r.rows.map((x) => x.tenant_id)
    },
  }
}

export type ReconciliationStore = ReturnType<typeof createReconciliationStore>
