/**
 * Reconciliation runs: pull a gateway's settled funds for a period, match them to the tenant's
 * ledger facts, store the run with its differences and publish each difference
 * (payments.reconciliation.mismatch.v1) in the same transaction. A failed fetch is stored and
 * reported as `failed`, an empty period as `empty`: neither ever reads as reconciled.
 */
import type { Logger } from 'pino'
import type { Db } from '../../../shared/db/connect.js'
import type { Clock } from '../../../shared/clock.js'
import { AppError, invalid } from '../../../shared/errors.js'
import type { IdGenerator } from '../../../shared/ids.js'
import type { Outbox } from '../../events/index.js'
import { DEFAULT_TENANT } from '../../platform/index.js'
import type { DateRange, LedgerFact, PaymentGateway, SettlementRecord } from '../gateway.js'
import {
  countLines,
  lineJson,
  matchSettlements,
  MISMATCH_STATUSES,
  verdict,
  type ReconciliationLine,
} from './reconcile.js'
import { RECONCILIATION_MISMATCH } from './reconcile.events.js'
import { createReconciliationStore, type ReconciliationRun } from './reconcile.store.js'

export type { ReconciliationRun } from './reconcile.store.js'

function strayNote(s: StrayChargeRef): string {
  const fate =
    s.status === 'reversed'
      ? `reversed (${s.reversal ?? 'done'}${s.reversalRef ? ` ${s.reversalRef}` : ''})`
      : s.status === 'pending'
        ? 'its reversal is pending'
        : 'its reversal failed: an operator must act'
  return `It is stray charge ${s.id} of payment ${s.paymentId}, which is booked at another gateway (ADR 0506); ${fate}.`
}

/** What reconciliation needs from payments (pay-core's Payments interface has both). */
export interface ReconciliationFacts {
  ledgerFacts(tenant: string, gateway: string, range: DateRange): Promise<LedgerFact[]>
  findTenantByGatewayRef(
    gateway: string,
    gatewayRef: string,
  ): Promise<{ tenantId: string; paymentId: string } | undefined>
  /**
   * Charges the gateway made for payments booked elsewhere (ADR 0506) whose charge or reversal ref is
   * one of `refs`: their records are never in the ledger, and their lines say so.
   */
  strayCharges?(tenant: string, gateway: string, refs: readonly string[]): Promise<readonly StrayChargeRef[]>
}

/** What a reconciliation line needs to know about a stray charge. */
export interface StrayChargeRef {
  readonly id: string
  readonly paymentId: string
  readonly gatewayRef: string
  readonly reversalRef: string | null
  readonly status: 'pending' | 'reversed' | 'failed'
  readonly reversal: string | null
}

export interface ReconciliationDeps {
  readonly db: Db
  readonly gateways: { get(id: string): PaymentGateway | undefined; ids(): readonly string[] }
  readonly facts: ReconciliationFacts
  readonly outbox: Outbox
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger
  /** Ledger facts are read this much beyond the period, so bookings near its edges still match. */
  readonly slackMs?: number
  /** Tenants the scheduler always reconciles (the default tenant), besides those with facts. */
  readonly tenants?: readonly string[]
  /**
   * The platform owner's tenant: the only one whose runs include records attributable to no tenant
   * (payouts and fees of the shared gateway account, charges nobody booked). Default: the default tenant.
   */
  readonly platformTenant?: string
}

export interface RunInput {
  readonly tenant: string
  readonly gateway: string
  readonly from: Date
  readonly to: Date
  readonly trigger?: ReconciliationRun['trigger']
}

export interface RunReport {
  readonly run: ReconciliationRun
  /** Every line, matched ones included (only differences are stored). */
  readonly lines: readonly ReconciliationLine[]
}

export interface Reconciliation {
  /**
   * Reconciles one gateway for one tenant over [from, to). Errors: RECONCILIATION_GATEWAY_UNKNOWN,
   * RECONCILIATION_NOT_SUPPORTED, RECONCILIATION_RANGE_INVALID (all before anything is fetched).
   */
  run(input: RunInput): Promise<RunReport>
  get(
    tenant: string,
    runId: string,
  ): Promise<{ run: ReconciliationRun; lines: ReconciliationLine[] } | undefined>
  list(
    tenant: string,
    filter?: { gateway?: string; limit?: number; before?: string },
  ): Promise<ReconciliationRun[]>
  /** The scheduler's tick: each gateway that reports settlements, the last complete UTC day, once. */
  runDue(): Promise<RunReport[]>
}

const DAY_MS = 86_400_000
const MAX_RANGE_MS = 93 * DAY_MS

export function createReconciliation(deps: ReconciliationDeps): Reconciliation {
  const store = createReconciliationStore(deps.db)
  const slackMs = deps.slackMs ?? 3_600_000

  const validate = (input: RunInput): PaymentGateway => {
    const gateway = deps.gateways.get(input.gateway)
    if (!gateway) {
      throw invalid(
        'RECONCILIATION_GATEWAY_UNKNOWN',
        `Gateway "${input.gateway}" is not configured; configured: ${deps.gateways.ids().join(', ')}.`,
      )
    }
    if (!gateway.capabilities.settlements)
      throw new AppError(
        'RECONCILIATION_NOT_SUPPORTED',
        'rejected',
        `Gateway "${input.gateway}" reports no settlements.`,
      )
    if (!(input.from < input.to) || Number.isNaN(input.from.getTime()) || Number.isNaN(input.to.getTime()))
      throw invalid('RECONCILIATION_RANGE_INVALID', '"from" must be a valid instant before "to".')
    if (input.to.getTime() - input.from.getTime() > MAX_RANGE_MS)
      throw invalid('RECONCILIATION_RANGE_INVALID', 'Reconcile at most 93 days at a time.')
    return gateway
  }

  const platformTenant = deps.platformTenant ?? DEFAULT_TENANT

  /**
   * Keeps the records this tenant booked or whose payment is this tenant's. A gateway account may be
   * shared by tenants, so a record with no payment reference (a payout, an account fee) or with one no
   * tenant booked is nobody's we can name: it goes to the platform owner's runs only, never to every
   * tenant (which showed one tenant the others' payouts).
   */
  const attribute = async (
    input: RunInput,
    records: readonly SettlementRecord[],
    facts: readonly LedgerFact[],
  ): Promise<{ mine: SettlementRecord[]; others: number; platformOnly: number }> => {
    const booked = new Set(facts.map((f) => f.gatewayRef))
    const owner = new Map<string, string | undefined>()
    const isPlatform = input.tenant === platformTenant
    const mine: SettlementRecord[] = []
    let others = 0
    let platformOnly = 0
    for (const r of records) {
      const ref = r.paymentRef
      if (booked.has(r.sourceRef ?? r.id) || (ref !== undefined && booked.has(ref))) {
        mine.push(r)
        continue
      }
      if (ref !== undefined && !owner.has(ref))
        owner.set(ref, (await deps.facts.findTenantByGatewayRef(input.gateway, ref))?.tenantId)
      const tenant = ref === undefined ? undefined : owner.get(ref)
      if (tenant === input.tenant) mine.push(r)
      else if (tenant !== undefined) others++
      else if (isPlatform) mine.push(r)
      else platformOnly++
    }
    return { mine, others, platformOnly }
  }

  /** Lines about a stray charge's records name its payment and what became of the charge. */
  const explainStrayCharges = async (
    input: RunInput,
    lines: ReconciliationLine[],
  ): Promise<ReconciliationLine[]> => {
    const refs = lines.filter((l) => l.status !== 'matched').map((l) => l.gatewayRef)
    const strays = (await deps.facts.strayCharges?.(input.tenant, input.gateway, refs)) ?? []
    if (strays.length === 0) return lines
    const byRef = new Map<string, StrayChargeRef>()
    for (const s of strays) {
      byRef.set(s.gatewayRef, s)
      if (s.reversalRef) byRef.set(s.reversalRef, s)
    }
    return lines.map((l) => {
      const s = l.status === 'matched' ? undefined : byRef.get(l.gatewayRef)
      return s ? { ...l, paymentId: s.paymentId, explanation: `${l.explanation} ${strayNote(s)}` } : l
    })
  }

  const save = async (run: ReconciliationRun, lines: readonly ReconciliationLine[]): Promise<void> => {
    const differences = lines.filter((l) => l.status !== 'matched')
    await deps.db.transaction().execute(async (tx) => {
      await store.insertRun(tx, run, differences)
      await deps.outbox.enqueue(
        tx,
        differences.map((l) => ({
          topic: RECONCILIATION_MISMATCH,
          key: run.id,
          tenantId: run.tenantId,
          occurredAt: run.finishedAt,
          payload: {
            runId: run.id,
            gateway: run.gateway,
            from: run.from.toISOString(),
            to: run.to.toISOString(),
            ...lineJson(l),
          },
        })),
      )
    })
  }

  const reconciliation: Reconciliation = {
    async run(input) {
      const gateway = validate(input)
      const startedAt = deps.clock.now()
      const base = {
        id: deps.ids('rec'),
        tenantId: input.tenant,
        gateway: input.gateway,
        from: input.from,
        to: input.to,
        trigger: input.trigger ?? 'cli',
        startedAt,
      }
      let records: readonly SettlementRecord[]
      let facts: LedgerFact[]
      try {
        facts = await deps.facts.ledgerFacts(input.tenant, input.gateway, {
          from: new Date(input.from.getTime() - slackMs),
          to: new Date(input.to.getTime() + slackMs),
        })
        records = await gateway.listSettlements({ from: input.from, to: input.to })
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        // The run itself reports the failure; scheduled runs have no one watching, so they warn too.
        const log = input.trigger === 'schedule' ? deps.logger?.warn : deps.logger?.info
        log?.call(deps.logger, { err, gateway: input.gateway }, 'reconciliation fetch failed')
        const run: ReconciliationRun = {
          ...base,
          status: 'failed',
          counts: countLines([]),
          records: 0,
          facts: 0,
          otherTenants: 0,
          platformOnly: 0,
          error: message,
          finishedAt: deps.clock.now(),
        }
        await save(run, [])
        return { run, lines: [] }
      }
      const { mine, others, platformOnly } = await attribute(input, records, facts)
      const lines = await explainStrayCharges(input, matchSettlements(mine, facts, { range: input }))
      const counts = countLines(lines)
      const run: ReconciliationRun = {
        ...base,
        status: verdict(lines),
        counts,
        records: mine.length,
        facts: facts.length,
        otherTenants: others,
        platformOnly,
        error: null,
        finishedAt: deps.clock.now(),
      }
      await save(run, lines)
      const mismatches = MISMATCH_STATUSES.reduce((n, s) => n + counts[s], 0)
      deps.logger?.info(
        { runId: run.id, gateway: run.gateway, status: run.status, mismatches },
        'reconciliation run',
      )
      return { run, lines }
    },

    async get(tenant, runId) {
      const run = await store.getRun(tenant, runId)
      return run ? { run, lines: await store.lines(tenant, runId) } : undefined
    },

    list: (tenant, filter = {}) =>
      store.listRuns(tenant, {
        limit: Math.min(Math.max(filter.limit ?? 50, 1), 500),
        ...(filter.gateway ? { gateway: filter.gateway } : {}),
        ...(filter.before ? { before: filter.before } : {}),
      }),

    async runDue() {
      const today = Math.floor(deps.clock.now().getTime() / DAY_MS) * DAY_MS
      const from = new Date(today - DAY_MS)
      const to = new Date(today)
      const reports: RunReport[] = []
      for (const id of deps.gateways.ids()) {
        if (!deps.gateways.get(id)?.capabilities.settlements) continue
        const tenants = new Set([...(deps.tenants ?? []), ...(await store.tenantsWithFacts(id, from, to))])
        for (const tenant of tenants) {
          if (await store.hasCompletedRun(tenant, id, from, to)) continue
          reports.push(await reconciliation.run({ tenant, gateway: id, from, to, trigger: 'schedule' }))
        }
      }
      return reports
    },
  }
  return reconciliation
}
