import type { CaseLabel } from './backtest.js'
import { invalidLabel, invalidTxn } from './monitoring.errors.js'
import { TXN_KINDS, type MonTxn } from './monitoring.js'
import type { AlertRecord } from './monitoring.store.js'

/** What every monitoring entry point checks first, and the shapes it hands on. */

export const ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/
export const LIST_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/

/** Checks a labelled case (typology, member and primary accounts, time range). */
export function checkLabel(l: CaseLabel): void {
  const where = `label ${JSON.stringify(String(l.id).slice(0, 40))}`
  if (!ID_RE.test(l.id)) throw invalidLabel(`${where}: id must be 1–128 chars of letters, digits, _ . : -`)
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(l.typology))
    throw invalidLabel(`${where}: typology must be 1–64 chars of a-z, 0-9 and _, starting with a letter.`)
  if (l.members.length === 0 || l.members.length > 1000 || !l.members.every((m) => ID_RE.test(m)))
    throw invalidLabel(`${where}: members must list 1–1000 account ids.`)
  if (l.primary.length === 0 || !l.primary.every((p) => l.members.includes(p)))
    throw invalidLabel(`${where}: primary must list at least one account, each also a member.`)
  if (!Number.isFinite(l.start) || !Number.isFinite(l.end) || l.start > l.end)
    throw invalidLabel(`${where}: start and end must be times with start ≤ end.`)
}

/** Checks a transaction's shape (the API schema does most of this; the CLI and other modules too). */
export function checkTxn(t: MonTxn): void {
  if (!ID_RE.test(t.id)) throw invalidTxn('id must be 1–128 chars of letters, digits, _ . : -')
  if (!Number.isFinite(t.at)) throw invalidTxn('at must be a valid time.')
  if (typeof t.amount !== 'bigint' || t.amount <= 0n)
    throw invalidTxn('amount must be a positive integer of minor units.')
  if (!/^[A-Z]{3}$/.test(t.currency)) throw invalidTxn('currency must be an ISO 4217 code.')
  if (!TXN_KINDS.includes(t.kind)) throw invalidTxn(`kind must be one of ${TXN_KINDS.join(', ')}.`)
  if (!ID_RE.test(t.src) || !ID_RE.test(t.dst))
    throw invalidTxn('src and dst must be account ids (or "cash").')
}

/**
 * "Now" for the windows a tenant's state is rebuilt from: its latest stored transaction, or the wall
 * clock when that is earlier or nothing is stored. Live, the two agree; on history loaded months
 * after it happened, only the first keeps the window over the transactions.
 */
export function streamNow(wall: number, latest: number | undefined): number {
  return latest === undefined ? wall : Math.min(wall, latest)
}

/** An alert as its outbox event carries it (`monitoring.alert.raised.v1`). */
export function alertPayload(a: AlertRecord) {
  return {
    alertId: a.alertId,
    ruleSetVersion: a.ruleSetVersion,
    ruleId: a.ruleId,
    typology: a.typology,
    subject: a.subject,
    outcome: a.outcome,
    score: a.score,
    reason: a.reason,
    txnId: a.txnId,
    at: a.at.toISOString(),
    context: a.context,
  }
}
