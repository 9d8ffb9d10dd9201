/**
 * What the export writes: one Parquet dataset per source table, partitioned by tenant and day
 * (`<dataset>/tenant_id=<t>/day=<yyyy-mm-dd>/run-<high>_<i>.parquet`). Each column says how
 * PostgreSQL renders it into the CSV staging file and what DuckDB type it becomes.
 */
export type ColumnType = 'text' | 'bigint' | 'int' | 'double' | 'timestamp'

export interface Column {
  /** Name in Parquet. */
  readonly name: string
  /** Expression over the source table's row (alias `s`). */
  readonly source: string
  readonly type: ColumnType
}

/**
 * A narrow copy of a compacted generation's rows, sorted for the queries that read it, in the
 * generation's native DuckDB file (native.ts, ADR 1202): what a covering index is to PostgreSQL. Its
 * columns are a subset of the dataset's, so a query written against it runs on the Parquet files too.
 */
export interface Projection {
  readonly name: ProjectionName
  readonly columns: readonly string[]
  /** Absent: the generation's own order (`compactOrder`), kept as the Parquet file has it, unsorted again. */
  readonly order?: readonly string[]
}

export type ProjectionName =
  'by_amount' | 'by_card' | 'by_device' | 'by_ip' | 'by_src' | 'by_dst' | 'by_merchant'

export interface Dataset {
  readonly name: DatasetName
  readonly table: string
  /** The column whose UTC day names the partition. */
  readonly dayOf: string
  /** Rows change after insert: the export holds versions, readers keep the latest per key. */
  readonly key?: readonly string[]
  /**
   * ORDER BY of a compacted generation (compaction.ts); default: the day column, then analytics_seq.
   * DuckDB skips the row groups whose min/max rule a filter out, so the order decides what it can skip.
   */
  readonly compactOrder?: readonly string[]
  /**
   * Tables of the generation's native DuckDB file (none: no native file for this dataset). For a
   * dataset with a `key`, every projection carries the key and analytics_seq: the generation holds
   * one version per key, and a reader of it beside later day files keeps each key's latest version
   * from both (sources.ts), as it does over Parquet.
   */
  readonly projections?: readonly Projection[]
  readonly columns: readonly Column[]
}

export type DatasetName = 'ledger_entries' | 'transactions' | 'alerts' | 'payments' | 'webhooks'

const col = (name: string, type: ColumnType, source = name): Column => ({ name, source, type })

export const DATASETS: readonly Dataset[] = [
  {
    name: 'ledger_entries',
    table: 'ledger_entries',
    dayOf: 'created_at',
    columns: [
      col('account_id', 'text'),
      col('seq', 'bigint'),
      col('transaction_id', 'text'),
      col('leg', 'int'),
      col('kind', 'text'),
      col('side', 'text'),
      col('currency', 'text'),
      col('pending_delta', 'bigint'),
      col('posted_delta', 'bigint'),
      col('created_at', 'timestamp'),
    ],
  },
  {
    // Monitored transactions with the engine's decision (outcome, score): the fraud queries' main input.
    name: 'transactions',
    table: 'monitoring_transactions',
    dayOf: 'at',
    // Amount bands (by number of digits), then time: a large-amount filter (short_cycles,
    // first_counterparty_large) reads only the top bands' row groups, whatever its threshold — the
    // columnar counterpart of PostgreSQL's (tenant_id, amount) index — while a time filter still
    // skips row groups inside every band (ADR 1200, "Layout").
    compactOrder: ['length(CAST(amount AS VARCHAR))', 'occurred_at', 'analytics_seq'],
    // The native file's tables (ADR 1202), each the columns some queries read, sorted as they group
    // or window them: velocity by entity then time, fan-out and dormancy by sender, fan-in by
    // receiver; large-amount filters read the amount bands of by_amount, which zone maps skip.
    projections: [
      { name: 'by_amount', columns: ['txn_id', 'src', 'dst', 'amount', 'currency', 'occurred_at'] },
      { name: 'by_card', columns: ['card', 'occurred_at', 'amount'], order: ['card', 'occurred_at'] },
      { name: 'by_device', columns: ['device', 'occurred_at', 'amount'], order: ['device', 'occurred_at'] },
      { name: 'by_ip', columns: ['ip', 'occurred_at', 'amount'], order: ['ip', 'occurred_at'] },
      {
        name: 'by_src',
        columns: ['src', 'occurred_at', 'dst', 'amount', 'txn_id'],
        // txn_id last: a sender's rows in (time, id) order, dormant_then_active's order of "previous"
        order: ['src', 'occurred_at', 'txn_id'],
      },
      { name: 'by_dst', columns: ['dst', 'src', 'occurred_at', 'amount'], order: ['dst', 'src'] },
    ],
    columns: [
      col('txn_id', 'text'),
      col('occurred_at', 'timestamp', 'at'),
      col('amount', 'bigint'),
      col('currency', 'text'),
      col('kind', 'text'),
      col('src', 'text'),
      col('dst', 'text'),
      col('src_country', 'text'),
      col('dst_country', 'text'),
      col('src_customer', 'text'),
      col('dst_customer', 'text'),
      col('device', 'text'),
      col('card', 'text'),
      col('ip', 'text', 'address'),
      col('outcome', 'text'),
      col('score', 'double'),
    ],
  },
  {
    name: 'alerts',
    table: 'monitoring_alerts',
    dayOf: 'at',
    key: ['alert_id'],
    columns: [
      col('alert_id', 'text'),
      col('rule_id', 'text'),
      col('typology', 'text'),
      col('subject', 'text'),
      col('outcome', 'text'),
      col('score', 'double'),
      col('txn_id', 'text'),
      col('occurred_at', 'timestamp', 'at'),
      col('hits', 'int'),
      col('status', 'text'),
      col('updated_at', 'timestamp'),
    ],
  },
  {
    name: 'payments',
    table: 'payments',
    dayOf: 'created_at',
    key: ['payment_id'],
    // merchant_ratios groups every payment by merchant: a narrow copy sorted by merchant reads no
    // Parquet and groups runs of one merchant (session 16, 1M payments, raw SQL: CPU 54 → 37 ms).
    projections: [
      {
        name: 'by_merchant',
        columns: [
          'payment_id',
          'analytics_seq',
          'merchant',
          'created_at',
          'amount_captured',
          'amount_refunded',
          'amount_disputed',
        ],
        order: ['merchant', 'created_at'],
      },
    ],
    columns: [
      col('payment_id', 'text'),
      col('status', 'text'),
      col('amount', 'bigint'),
      col('currency', 'text'),
      col('payment_method', 'text'),
      col('customer', 'text'),
      // Platforms name the merchant in metadata; the cohort queries group by it.
      col('merchant', 'text', `s.metadata->>'merchant'`),
      col('gateway', 'text'),
      col('card_brand', 'text'),
      col('card_country', 'text'),
      col('amount_captured', 'bigint'),
      col('amount_refunded', 'bigint'),
      col('amount_disputed', 'bigint'),
      col('created_at', 'timestamp'),
      col('updated_at', 'timestamp'),
    ],
  },
  {
    // Gateway webhooks as received (the raw body stays in PostgreSQL).
    name: 'webhooks',
    table: 'payment_webhook_inbox',
    dayOf: 'received_at',
    key: ['gateway', 'event_id'],
    columns: [
      col('gateway', 'text'),
      col('event_id', 'text'),
      col('event_type', 'text'),
      col('vendor_type', 'text'),
      col('payment_id', 'text'),
      col('status', 'text'),
      col('outcome', 'text'),
      col('attempts', 'int'),
      col('received_at', 'timestamp'),
      col('processed_at', 'timestamp'),
    ],
  },
]

export const datasetNamed = (name: DatasetName): Dataset => DATASETS.find((d) => d.name === name)!

const DUCK_TYPES: Record<ColumnType, string> = {
  text: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
}

export const duckType = (t: ColumnType): string => DUCK_TYPES[t]

/** Every Parquet column, with the bookkeeping ones (tenant and day are partition directories). */
export function parquetColumns(d: Dataset): readonly Column[] {
  return [...d.columns, col('analytics_seq', 'bigint')]
}
