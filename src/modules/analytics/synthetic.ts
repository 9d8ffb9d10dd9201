import { CompiledQuery } from 'kysely'
import type { Db } from '../../shared/db/connect.js'

export interface SyntheticOptions {
  readonly tenantId: string
  /** Monitored transactions; payments are a tenth of it, ledger entries a fifth. */
  readonly rows: number
  /** Row numbers start after this (a second batch for the same tenant continues the first). */
  readonly offset?: number
  /** The size of the whole data set when it is generated in batches (spreads time and accounts alike). */
  readonly total?: number
  readonly seed?: number
}

/**
 * Deterministic fraud-shaped data generated inside PostgreSQL (generate_series, no round trips),
 * for the tests and the benchmark: background traffic over one year, plus planted card-testing
 * bursts, three-hop cycles, sleeper accounts that wake with large transfers, and merchants with
 * high chargeback rates. Pseudo-random values come from hashint8extended(i, k) so a run repeats.
 */
export async function generateFraudData(db: Db, o: SyntheticOptions): Promise<void> {
  const n = o.rows
  const from = (o.offset ?? 0) + 1
  const to = (o.offset ?? 0) + n
  const total = o.total ?? (o.offset ?? 0) + n
  const seed = o.seed ?? 7
  const accounts = Math.max(500, Math.floor(total / 100))
  // sleepers wake every ~0.4 of the year whatever the size (each i % 10007 = 0 row is one's transfer)
  const sleepers = Math.max(2, Math.floor(total / 25_000))
  // h(k): a non-negative pseudo-random bigint per row and stream k
  const h = (k: number) => `abs(hashint8extended(i, ${seed * 100 + k}))`
  await run(
    db,
    o.tenantId,
    `
    INSERT INTO monitoring_transactions
      (tenant_id, txn_id, at, amount, currency, kind, src, dst, src_country, dst_country,
       src_customer, dst_customer, device, card, address, outcome, score)
    SELECT $1, 'txn_' || lpad(i::text, 10, '0'),
      timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => i * (31536000.0 / ${total})),
      CASE WHEN i % 5000 < 3 THEN 2000000 + ${h(3)} % 100000
           WHEN i % 10007 = 0 THEN 300000 + ${h(3)} % 1000000
           WHEN ${h(4)} % 100 = 0 THEN 500000 + ${h(3)} % 5000000
           ELSE 100 + ${h(3)} % 50000 END,
      'EUR', 'transfer',
      CASE WHEN i % 5000 < 3 THEN 'acc_cyc_' || (i / 5000) || '_' || (i % 5000)
           WHEN i % 10007 = 0 THEN 'acc_sleep_' || ((i / 10007) % ${sleepers})
           ELSE 'acc_' || (${h(1)} % ${accounts}) END,
      CASE WHEN i % 5000 < 3 THEN 'acc_cyc_' || (i / 5000) || '_' || ((i % 5000 + 1) % 3)
           ELSE 'acc_' || (${h(2)} % ${accounts}) END,
      'DE', CASE WHEN ${h(5)} % 10 = 0 THEN 'NG' ELSE 'DE' END,
      'cus_' || (${h(1)} % ${accounts}), NULL,
      CASE WHEN ${h(6)} % 50 = 0 THEN NULL ELSE 'dev_' || (${h(6)} % ${accounts}) END,
      CASE WHEN i % 1000 < 15 THEN 'card_burst_' || (i / 1000) ELSE 'card_' || (${h(7)} % (${accounts} * 2)) END,
      '10.' || (${h(8)} % 200) || '.' || (${h(9)} % 250) || '.' || (${h(8)} % 7),
      CASE WHEN ${h(10)} % 20 = 0 THEN 'review' ELSE 'allow' END,
      (${h(10)} % 1000) / 10.0
    FROM generate_series(${from}::bigint, ${to}::bigint) AS i`,
    'transactions',
  )
  const merchants = Math.max(20, Math.floor(total / 2000))
  await run(
    db,
    o.tenantId,
    `
    INSERT INTO payments (tenant_id, payment_id, status, amount, currency, capture_method, payment_method,
      customer, metadata, gateway, amount_authorized, amount_captured, amount_refunded, amount_disputed,
      card_brand, card_country, created_at, updated_at)
    SELECT $1, 'pay_' || lpad(i::text, 10, '0'), 'succeeded', a, 'EUR', 'automatic', 'card',
      'cus_' || (${h(11)} % ${accounts}), jsonb_build_object('merchant', 'mer_' || m), 'sandbox', a, a,
      CASE WHEN ${h(12)} % 100 < 3 THEN a ELSE 0 END,
      CASE WHEN ${h(13)} % 1000 < (CASE WHEN m % 20 = 0 THEN 50 ELSE 5 END) THEN a ELSE 0 END,
      'visa', 'DE', at, at
    FROM (SELECT i, 100 + ${h(14)} % 20000 AS a, ${h(15)} % ${merchants} AS m,
                 timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => i * (31536000.0 / ${total / 10})) AS at
          FROM generate_series(${Math.ceil(from / 10)}::bigint, ${Math.floor(to / 10)}::bigint) AS i) x`,
    'payments',
  )
  await run(
    db,
    o.tenantId,
    `
    INSERT INTO ledger_entries (tenant_id, account_id, seq, transaction_id, leg, kind, side, currency,
      pending_delta, posted_delta, debits_pending, debits_posted, credits_pending, credits_posted, created_at)
    SELECT $1, 'acc_' || (i % ${accounts}), i, 'txn_' || lpad(i::text, 10, '0'), 0, 'post', CASE WHEN i % 2 = 0 THEN 'D' ELSE 'C' END,
      'EUR', 0, 100 + ${h(16)} % 1000, 0, 0, 0, 0,
      timestamptz '2025-01-01 00:00:00+00' + make_interval(secs => i * (31536000.0 / ${total / 5}))
    FROM generate_series(${Math.ceil(from / 5)}::bigint, ${Math.floor(to / 5)}::bigint) AS i`,
    'ledger entries',
  )
}

async function run(db: Db, tenantId: string, text: string, what: string): Promise<void> {
  try {
    await db.executeQuery(CompiledQuery.raw(text, [tenantId]))
  } catch (e) {
    throw new Error(`generating synthetic ${what}: ${String(e)}`, { cause: e })
  }
}
