import { sql } from 'kysely'
import type { Db } from '../src/shared/db/connect.js'

/**
 * Bulk seeding for `npm run bench -- console`, set-based on PostgreSQL (generate_series, one statement per
 * chunk): payments spread over the last year with UUIDv7-shaped ids (creation time first, as the service
 * writes them), and a ledger whose entries carry the running balances the ledger itself would write, so
 * `ledger verify` holds on the result.
 */

const DAY_MS = 86_400_000

/** The seed's funding account: its presence marks a tenant this seed filled (`--skip-seed` looks for it). */
export const FUNDING = 'bench.funding.USD'

/**
 * `count` sandbox card payments over the last 365 days: 90% succeeded (captured), 7% failed, 3% waiting
 * for capture; one in 20 succeeded ones half refunded. Ids sort by creation time like the service's.
 */
export async function seedPayments(db: Db, tenant: string, count: number, now = Date.now()): Promise<void> {
  const STEP = 200_000
  const span = 365 * DAY_MS
  for (let lo = 0; lo < count; lo += STEP) {
    const hi = Math.min(count, lo + STEP)
    await sql`INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
        customer, gateway, gateway_ref, amount_authorized, amount_captured, amount_refunded, created_at, updated_at)
      SELECT ${tenant}, 'pay_' || lpad(to_hex(s.ms), 12, '0') || substr(md5(${tenant} || s.i), 1, 20), s.status,
        s.amount, CASE WHEN s.i % 10 = 0 THEN 'EUR' ELSE 'USD' END, 'automatic',
        CASE WHEN s.i % 2 = 0 THEN 'pm_card_visa' ELSE 'pm_card_mastercard' END, 'cus_' || (s.i % 50000),
        'sandbox', 'ch_' || substr(md5('ch' || ${tenant} || s.i), 1, 12),
        CASE WHEN s.status = 'failed' THEN 0 ELSE s.amount END,
        CASE WHEN s.status = 'succeeded' THEN s.amount ELSE 0 END,
        CASE WHEN s.status = 'succeeded' AND s.i % 20 = 0 THEN s.amount / 2 ELSE 0 END,
        to_timestamp(s.ms / 1000.0), to_timestamp(s.ms / 1000.0)
      FROM (SELECT i, (${now - span}::bigint + (i::bigint * ${span}::bigint) / ${count}::bigint) AS ms,
              100 + (hashint4(i) & 65535) AS amount,
              CASE WHEN i % 100 < 90 THEN 'succeeded' WHEN i % 100 < 97 THEN 'failed' ELSE 'requires_capture' END AS status
            FROM generate_series(${lo + 1}::int, ${hi}::int) AS i) AS s`.execute(db)
  }
}

/**
 * `transfers` posted USD transactions from one funding account to `spread` customer accounts (two
 * entries each: 2 × transfers entries), one a minute back from now: the funding account's history is
 * `transfers` entries long (the worst case for an account page), each customer's transfers / spread.
 */
export async function seedLedger(
  db: Db,
  tenant: string,
  transfers: number,
  spread: number,
  now = Date.now(),
): Promise<{ funding: string; customer: string }> {
  const funding = FUNDING
  const created = new Date(now - transfers * 60_000)
  await sql`INSERT INTO ledger_accounts (tenant_id, account_id, code, currency, exponent, normal_side, created_at)
    SELECT ${tenant}, a.id, a.id, 'USD', 2, a.side, ${created}
    FROM (SELECT ${funding} AS id, 'debit' AS side
          UNION ALL SELECT 'bench.customer.' || k, 'credit' FROM generate_series(0, ${spread - 1}::int) AS k) AS a`.execute(
    db,
  )
  const STEP = 100_000
  for (let lo = 0; lo < transfers; lo += STEP) {
    const hi = Math.min(transfers, lo + STEP)
    const rows = sql`SELECT i, 'txn_' || lpad(to_hex(${now}::bigint - (${transfers}::bigint - i) * 60000), 12, '0')
          || substr(md5(${tenant} || 'txn' || i), 1, 20) AS id,
        'bench.customer.' || (i % ${spread}::int) AS dst, 100 + (i % 977) AS amt,
        to_timestamp((${now}::bigint - (${transfers}::bigint - i) * 60000) / 1000.0) AS at
      FROM generate_series(${lo + 1}::int, ${hi}::int) AS i`
    await sql`INSERT INTO ledger_transactions (tenant_id, transaction_id, idempotency_key, request_hash, status,
        leg_sources, leg_destinations, leg_amounts, leg_currencies, metadata, created_at, resolved_at)
      SELECT ${tenant}, r.id, NULL, 'bench', 'posted', ARRAY[${funding}], ARRAY[r.dst], ARRAY[r.amt::bigint], ARRAY['USD'],
        '{"kind":"bench"}'::jsonb, r.at, r.at FROM (${rows}) AS r`.execute(db)
  }
  // Entries with the balances right after each, as ledger_apply writes them: a running sum per account.
  await sql`INSERT INTO ledger_entries (tenant_id, account_id, seq, transaction_id, leg, kind, side, currency,
      pending_delta, posted_delta, debits_pending, debits_posted, credits_pending, credits_posted, created_at)
    SELECT t.tenant_id, ${funding}, row_number() OVER w, t.transaction_id, 0, 'posted', 'D', 'USD', 0, t.leg_amounts[1],
      0, sum(t.leg_amounts[1]) OVER w, 0, 0, t.created_at
    FROM ledger_transactions t WHERE t.tenant_id = ${tenant} AND t.metadata->>'kind' = 'bench'
    WINDOW w AS (ORDER BY t.transaction_id)`.execute(db)
  await sql`INSERT INTO ledger_entries (tenant_id, account_id, seq, transaction_id, leg, kind, side, currency,
      pending_delta, posted_delta, debits_pending, debits_posted, credits_pending, credits_posted, created_at)
    SELECT t.tenant_id, t.leg_destinations[1], row_number() OVER w, t.transaction_id, 0, 'posted', 'C', 'USD', 0,
      t.leg_amounts[1], 0, 0, 0, sum(t.leg_amounts[1]) OVER w, t.created_at
    FROM ledger_transactions t WHERE t.tenant_id = ${tenant} AND t.metadata->>'kind' = 'bench'
    WINDOW w AS (PARTITION BY t.leg_destinations[1] ORDER BY t.transaction_id)`.execute(db)
  await sql`UPDATE ledger_accounts a SET debits_posted = e.dp, credits_posted = e.cp, entry_seq = e.seq,
      last_entry_at = e.at
    FROM (SELECT DISTINCT ON (account_id) account_id, debits_posted AS dp, credits_posted AS cp, seq, created_at AS at
          FROM ledger_entries WHERE tenant_id = ${tenant} AND account_id LIKE 'bench.%'
          ORDER BY account_id, seq DESC) AS e
    WHERE a.tenant_id = ${tenant} AND a.account_id = e.account_id`.execute(db)
  return { funding, customer: 'bench.customer.7' }
}
