/**
 * What a team running the fraud queries on PostgreSQL itself (`engine=postgres`) would index. The
 * OLTP schema has none of them: monitoring writes every transaction, and seven more indexes would tax
 * that path for a query engine DuckDB serves better (docs/analytics.md). The PostgreSQL texts are
 * written to probe them (fan's per-account lateral, dormancy's backward probe): without them each
 * probe scans the tenant's rows, which is correct but slow. Covering indexes (INCLUDE) where a query
 * reads a column or two more, so PostgreSQL answers from the index alone. Session 11, 1M rows, psql:
 * card_velocity 5.6 s → 1.5 s with amount included (the heap fetches were 4.3 s of it).
 *
 * Used by the analytics bench (PostgreSQL at its best beside DuckDB) and the analytics integration
 * suite (the same plans; without them its PostgreSQL side took most of its six minutes).
 */
export const POSTGRES_ANALYTICS_INDEXES: readonly string[] = [
  `CREATE INDEX IF NOT EXISTS analytics_mt_card_cov ON monitoring_transactions (tenant_id, card, at) INCLUDE (amount)`,
  `CREATE INDEX IF NOT EXISTS analytics_mt_device_cov ON monitoring_transactions (tenant_id, device, at) INCLUDE (amount)`,
  `CREATE INDEX IF NOT EXISTS analytics_mt_address_cov ON monitoring_transactions (tenant_id, address, at) INCLUDE (amount)`,
  // fan_out's per-account probe and dormant_then_active's backward probe (txn_id: the tie-break)
  `CREATE INDEX IF NOT EXISTS analytics_mt_src_cov ON monitoring_transactions (tenant_id, src, at) INCLUDE (dst, amount, txn_id)`,
  // fan_in's per-account probe
  `CREATE INDEX IF NOT EXISTS analytics_mt_dst_cov ON monitoring_transactions (tenant_id, dst, src) INCLUDE (at, amount)`,
  `CREATE INDEX IF NOT EXISTS analytics_mt_pair ON monitoring_transactions (tenant_id, src, dst, at)`,
  `CREATE INDEX IF NOT EXISTS analytics_mt_amount ON monitoring_transactions (tenant_id, amount)`,
  `CREATE INDEX IF NOT EXISTS analytics_pay_merchant ON payments (tenant_id, (metadata->>'merchant'))`,
]

/** The name of each index above (to drop them). */
export const postgresAnalyticsIndexNames = (): string[] =>
  POSTGRES_ANALYTICS_INDEXES.map((s) => s.split(' ')[5]!)
