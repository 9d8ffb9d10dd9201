/**
 * The group commits' writes (core/opener.ts, core/booker.ts): what one batch writes across tables,
 * sent as one statement, since every round trip is paid while the batch holds its locks.
 */
import { sql, type RawBuilder } from 'kysely'
import type { LedgerFact } from '../gateway.js'
import type { Payment } from '../payments.js'
import { keysAnswer } from './idempotency-keys.js'
import { factsInsert } from './ledger-facts.js'
import { openedInsert, paymentsUpdate, type OpenedRow } from './payment-rows.js'
import { refundsInsert, refundsUpdate, type Refund } from './refunds.js'
import type { Exec } from './statements.js'
import { transitionsInsert, type TransitionRow } from './transitions.js'

export const batchedWritesStore = {
  /**
   * Many new payments in one statement, each as it leaves the opening transaction (core/opener.ts):
   * status, gateway and first attempt included, so no UPDATE follows the INSERT; with their first
   * transitions and events.
   */
  async insertOpened(
    tx: Exec,
    rows: readonly OpenedRow[],
    transitions: readonly TransitionRow[] = [],
    events?: RawBuilder<unknown>,
  ): Promise<void> {
    if (rows.length === 0) return
    const parts = [
      openedInsert(rows),
      ...(transitions.length > 0 ? [transitionsInsert(transitions)] : []),
      ...(events ? [events] : []),
    ]
    await inOneStatement(parts).execute(tx)
  },

  /**
   * What a booking writes after its ledger call, in one statement (while the ledger call's locks on
   * the merchant's accounts are held, every round trip counts): the payments' new states, their
   * reconciliation facts, their transitions, the refunds they settle and the Idempotency-Key answers.
   */
  async writeBooked(
    tx: Exec,
    w: {
      payments: readonly Payment[]
      facts: readonly (LedgerFact & { id: string; tenantId: string })[]
      answers: readonly { tenantId: string; key: string; response: unknown }[]
      transitions?: readonly TransitionRow[]
      refunds?: readonly (Refund & { tenantId: string })[]
      newRefunds?: readonly (Refund & { tenantId: string })[]
      /** The outbox's insert of the events (Outbox.insertOf). */
      events?: RawBuilder<unknown>
    },
  ): Promise<void> {
    const { transitions = [], refunds = [], newRefunds = [] } = w
    const parts = [
      ...(w.payments.length > 0 ? [paymentsUpdate(w.payments)] : []),
      ...(w.facts.length > 0 ? [factsInsert(w.facts)] : []),
      ...(w.answers.length > 0 ? [keysAnswer(w.answers)] : []),
      ...(transitions.length > 0 ? [transitionsInsert(transitions)] : []),
      ...(refunds.length > 0 ? [refundsUpdate(refunds)] : []),
      ...(newRefunds.length > 0 ? [refundsInsert(newRefunds)] : []),
      ...(w.events ? [w.events] : []),
    ]
    if (parts.length === 0) return
    await inOneStatement(parts).execute(tx)
  },
}

/** Writes as one statement (each a common table expression: one round trip, however many). */
function inOneStatement(parts: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
  if (parts.length === 1) return parts[0]!
  const ctes = parts.map((part, i) => sql`${sql.raw(`w${i}`)} AS (${part})`)
  return sql`WITH ${sql.join(ctes)} SELECT 1`
}
