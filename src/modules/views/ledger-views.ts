import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'

export interface BalancePoint {
  readonly seq: bigint
  readonly at: Date
  /** Posted balance on the account's normal side right after entry `seq`. */
  readonly posted: bigint
}

export interface BalanceSeries {
  readonly accountId: string
  readonly currency: string
  /** How many entries the account has (the last one's seq): pages of its history count from here. */
  readonly entries: bigint
  readonly points: readonly BalancePoint[]
}

/**
 * The balance over time, sampled: at most `max` entries spread evenly over the account's whole history,
 * always with the latest. Each entry row carries the balances right after it (the ledger writes them),
 * so this is `max` primary-key lookups however long the history is — no sum over 1M entries.
 */
export async function balanceSeries(
  db: Db,
  tenant: string,
  accountId: string,
  max = 120,
): Promise<BalanceSeries | null> {
  const acc = (
    await sql<{ currency: string; normal_side: string; entry_seq: string | bigint }>`
      SELECT currency, normal_side, entry_seq FROM ledger_accounts
      WHERE tenant_id = ${tenant} AND account_id = ${accountId}`.execute(db)
  ).rows[0]
  if (!acc) return null
  const n = BigInt(acc.entry_seq)
  const seqs = new Set<string>()
  const count = n < BigInt(max) ? n : BigInt(max)
  for (let i = 1n; i <= count; i++) seqs.add(((i * n + count - 1n) / count).toString())
  const rows =
    seqs.size === 0
      ? []
      : (
          await sql<{
            seq: string | bigint
            created_at: Date
            debits_posted: string | bigint
            credits_posted: string | bigint
          }>`
            SELECT seq, created_at, debits_posted, credits_posted FROM ledger_entries
            WHERE tenant_id = ${tenant} AND account_id = ${accountId} AND seq = ANY(${[...seqs]}::bigint[])
            ORDER BY seq`.execute(db)
        ).rows
  return {
    accountId,
    currency: acc.currency,
    entries: n,
    points: rows.map((r) => {
      const credit = BigInt(r.credits_posted) - BigInt(r.debits_posted)
      return {
        seq: BigInt(r.seq),
        at: new Date(r.created_at),
        posted: acc.normal_side === 'credit' ? credit : -credit,
      }
    }),
  }
}

export interface CurrencyTotal {
  readonly currency: string
  readonly accounts: number
  readonly debitsPosted: bigint
  readonly creditsPosted: bigint
  readonly debitsPending: bigint
  readonly creditsPending: bigint
}

/** Per currency: the sums over every account (debits equal credits when the books balance). */
export async function ledgerTotals(db: Db, tenant: string): Promise<CurrencyTotal[]> {
  const rows = (
    await sql<{
      currency: string
      accounts: string | number
      dp: string
      cp: string
      dpe: string
      cpe: string
    }>`
      SELECT currency, count(*) AS accounts, sum(debits_posted)::text AS dp, sum(credits_posted)::text AS cp,
        sum(debits_pending)::text AS dpe, sum(credits_pending)::text AS cpe
      FROM ledger_accounts WHERE tenant_id = ${tenant} GROUP BY currency ORDER BY currency`.execute(db)
  ).rows
  return rows.map((r) => ({
    currency: r.currency,
    accounts: Number(r.accounts),
    debitsPosted: BigInt(r.dp),
    creditsPosted: BigInt(r.cp),
    debitsPending: BigInt(r.dpe),
    creditsPending: BigInt(r.cpe),
  }))
}
