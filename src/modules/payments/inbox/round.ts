import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Clock } from '../../../shared/clock.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import type { GatewayEvent } from '../gateway.js'
import type { Tx, WebhookMethodsPort, WebhookPaymentsPort } from './inbox.ports.js'
import { eventDecoder, expectedMark, isMethodUpdate, keyOf, planRows, type RowPlan } from './round-plan.js'
import { describeFailure, retryDelayMs, type InboxOutcome, type RetryPolicy } from './webhook-inbox.js'
import {
  claimRows,
  correctOutcomes,
  markFailed,
  peekDue,
  type ClaimedRow,
  type FailedMark,
  type ListFilter,
  type ProcessedMark,
} from './webhook-inbox.store.js'

/**
 * One processing round of the webhook inbox: peek the due rows, plan them (round-plan.ts), then in
 * one transaction claim them, apply the payment events as one set, and mark every row.
 */

export interface RoundResult {
  readonly claimed: number
  readonly processed: number
  /** Failed and scheduled for another attempt. */
  readonly retried: number
  /** Failed for the last time and dead-lettered. */
  readonly dead: number
  /**
   * Payment events applied one at a time under a savepoint instead of in the round's set: those
   * that failed before (retries) and, when the set itself failed, every one of the round.
   */
  readonly isolated: number
}

export const NO_ROUND: RoundResult = { claimed: 0, processed: 0, retried: 0, dead: 0, isolated: 0 }

export const addRounds = (a: RoundResult, b: RoundResult): RoundResult => ({
  claimed: a.claimed + b.claimed,
  processed: a.processed + b.processed,
  retried: a.retried + b.retried,
  dead: a.dead + b.dead,
  isolated: a.isolated + b.isolated,
})

export interface RoundDeps {
  readonly db: DbHandle
  readonly clock: Clock
  readonly logger?: Logger | undefined
  readonly payments: WebhookPaymentsPort
  readonly methods?: WebhookMethodsPort | undefined
  readonly policy: RetryPolicy
  /** Rows claimed per round when the caller names no limit. */
  readonly claimBatch: number
}

/** Processes one round: `limit` due rows at most (default the claim batch), `only` those matching. */
export type ProcessDue = (opts?: { limit?: number; only?: ListFilter }) => Promise<RoundResult>

type Work = { row: ClaimedRow; tenant: string }
type Applied = { done: ProcessedMark[]; failed: FailedMark[] }

/** A round's set refused as a whole by payments: its transaction rolls back and the round is redone row by row. */
class RoundAsSetFailed extends Error {
  constructor(
    override readonly cause: unknown,
    readonly rows: number,
  ) {
    super('webhook round failed as a set')
  }
}

export function createRoundProcessor(deps: RoundDeps): ProcessDue {
  const { db, clock, logger } = deps
  const eventOf = eventDecoder()

  const failure = (row: ClaimedRow, err: unknown, now: Date): FailedMark => {
    const attempts = row.attempts + 1
    return {
      row,
      error: describeFailure(err),
      nextAttemptAt: new Date(now.getTime() + retryDelayMs(deps.policy, attempts)),
      dead: attempts >= deps.policy.maxAttempts,
    }
  }

  /**
   * Applies each row under its own savepoint: a row that throws is rolled back alone and marked for a
   * retry, while the rows before and after it keep their effects and commit with their marks.
   */
  const eachUnderSavepoint = async (
    tx: Tx,
    work: readonly Work[],
    now: Date,
    apply: (w: Work, event: GatewayEvent) => Promise<InboxOutcome>,
  ): Promise<Applied> => {
    const done: ProcessedMark[] = []
    const failed: FailedMark[] = []
    for (const w of work) {
      await sql`SAVEPOINT webhook_row`.execute(tx)
      try {
        const outcome = await apply(w, eventOf(w.row))
        await sql`RELEASE SAVEPOINT webhook_row`.execute(tx)
        done.push({ row: w.row, outcome, appliedTenantId: w.tenant })
      } catch (err) {
        await sql`ROLLBACK TO SAVEPOINT webhook_row`.execute(tx)
        failed.push(failure(w.row, err, now))
      }
    }
    return { done, failed }
  }

  /**
   * The rows to apply, as one set (one payments call). No savepoint guards the set: a set that fails
   * as a whole throws RoundAsSetFailed, which rolls the round's transaction back, and processDue runs
   * the round again applying its rows one at a time (`oneByOne`), each under a savepoint, so a
   * poisoned row is rolled back alone and rescheduled while the others commit with their "processed"
   * marks. The common round saves the SAVEPOINT and RELEASE round trips.
   */
  const applyPaymentRows = async (
    tx: Tx,
    work: readonly Work[],
    now: Date,
    oneByOne: boolean,
  ): Promise<Applied> => {
    if (work.length === 0) return { done: [], failed: [] }
    if (oneByOne)
      return eachUnderSavepoint(tx, work, now, ({ row, tenant }, event) =>
        deps.payments.applyGatewayEvent(tenant, row.gateway, event, { tx }),
      )
    const items = work.map((w) => ({ tenant: w.tenant, gateway: w.row.gateway, event: eventOf(w.row) }))
    let results: Awaited<ReturnType<WebhookPaymentsPort['applyGatewayEvents']>>
    try {
      results = await deps.payments.applyGatewayEvents(items, { tx })
    } catch (err) {
      throw new RoundAsSetFailed(err, work.length)
    }
    const applied: Applied = { done: [], failed: [] }
    results.forEach((r, i) => {
      const { row, tenant } = work[i]!
      if (r.ok) applied.done.push({ row, outcome: r.outcome, appliedTenantId: tenant })
      else applied.failed.push(failure(row, r.error, now))
    })
    return applied
  }

  /** Saved-method updates, one at a time under a savepoint (they are rare next to payment events). */
  const applyMethodRows = (tx: Tx, work: readonly Work[], now: Date): Promise<Applied> =>
    eachUnderSavepoint(tx, work, now, async ({ row, tenant }, event) =>
      deps.methods ? deps.methods.applyMethodUpdate(tenant, row.gateway, event, { tx }) : 'ignored',
    )

  const afterMethodUpdates = async (marks: readonly ProcessedMark[]) => {
    for (const m of marks) {
      try {
        await deps.methods?.afterMethodUpdate(m.appliedTenantId!, m.row.gateway, eventOf(m.row))
      } catch (err) {
        logger?.warn(
          { err, eventId: m.row.eventId, gateway: m.row.gateway },
          'saved method updated; recovering its invoices failed (the billing scheduler retries them)',
        )
      }
    }
  }

  const logFailure = (f: FailedMark) => {
    const log = {
      eventId: f.row.eventId,
      gateway: f.row.gateway,
      attempts: f.row.attempts + 1,
      error: f.error,
    }
    if (f.dead) logger?.error(log, 'webhook event dead-lettered; replay with `moneta webhooks replay`')
    else logger?.warn({ ...log, retryAt: f.nextAttemptAt }, 'webhook event failed; will retry')
  }

  /**
   * One round's transaction: claim `due` and mark it as expected, apply (as a set, or `oneByOne`),
   * then correct the few marks that turned out otherwise and reschedule the failures.
   */
  const runRound = async (
    due: readonly ClaimedRow[],
    plans: ReadonlyMap<string, RowPlan>,
    now: Date,
    oneByOne: boolean,
  ): Promise<{ round: RoundResult; methodUpdates: ProcessedMark[] }> =>
    db.db.transaction().execute(async (tx) => {
      const expected = new Map(due.map((row) => [keyOf(row), expectedMark(row, plans.get(keyOf(row))!)]))
      const rows = await claimRows(tx, [...expected.values()], now)
      const done: ProcessedMark[] = []
      const failed: FailedMark[] = []
      const work: Work[] = []
      for (const row of rows) {
        const plan = plans.get(keyOf(row))!
        if ('settled' in plan) done.push({ ...plan.settled, row })
        else if ('tenant' in plan) work.push({ row, tenant: plan.tenant })
        else failed.push(failure(row, plan.error, now))
      }
      const payments = work.filter((w) => !isMethodUpdate(w.row))
      // A row that failed before is applied on its own, under a savepoint: if it is the kind that
      // fails a whole set (a ledger refusal aborts the statement), it would otherwise send every
      // round it is retried in back to one row at a time. Only its own first failure costs its round
      // that fallback. It goes after the set: what a retry waited for (a refund for its capture, an
      // event for its payment) usually arrives as a new row, which the set applies first.
      const suspects = oneByOne ? payments : payments.filter((w) => w.row.attempts > 0)
      const fresh = oneByOne ? [] : payments.filter((w) => w.row.attempts === 0)
      const applied = [
        await applyPaymentRows(tx, fresh, now, false),
        await applyPaymentRows(tx, suspects, now, true),
      ]
      const methods = await applyMethodRows(
        tx,
        work.filter((w) => isMethodUpdate(w.row)),
        now,
      )
      for (const a of [...applied, methods]) {
        done.push(...a.done)
        failed.push(...a.failed)
      }
      // The claim marked every row as expected; only those settled otherwise are written again.
      await correctOutcomes(
        tx,
        done.filter((d) => {
          const e = expected.get(keyOf(d.row))!
          return e.outcome !== d.outcome || e.appliedTenantId !== d.appliedTenantId
        }),
      )
      for (const f of failed) {
        await markFailed(tx, f)
        logFailure(f)
      }
      const dead = failed.filter((f) => f.dead).length
      return {
        round: {
          claimed: rows.length,
          processed: done.length,
          retried: failed.length - dead,
          dead,
          isolated: suspects.length,
        },
        methodUpdates: methods.done.filter((d) => d.outcome === 'applied'),
      }
    })

  return async (opts = {}) => {
    const now = clock.now()
    const due = await peekDue(db.db, now, opts.limit ?? deps.claimBatch, opts.only)
    if (due.length === 0) return NO_ROUND
    const plans = await planRows(deps, due, eventOf)
    let r: Awaited<ReturnType<typeof runRound>>
    try {
      r = await runRound(due, plans, now, false)
    } catch (err) {
      if (!(err instanceof RoundAsSetFailed)) throw err
      // Rolled back whole: nothing of the set was written and its rows are pending again.
      if (err.rows > 1)
        logger?.warn(
          { err: err.cause, rows: err.rows },
          'webhook round failed as a set; applying its rows one by one',
        )
      r = await runRound(due, plans, now, true)
    }
    await afterMethodUpdates(r.methodUpdates)
    return r.round
  }
}
