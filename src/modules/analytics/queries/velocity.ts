import type { Dialect } from '../dialect.js'
import { defineQuery, inPeriod, type FraudQuery } from './query.js'

/**
 * Per card / device / IP: the most transactions (and the largest amount) inside any sliding window
 * of `window_minutes` ending at one of its transactions — the classic card-testing signal.
 *
 * DuckDB runs two passes. An entity reaches min_count inside some window exactly
 * when, in time order, some transaction is at most window_minutes after the one min_count − 1 rows
 * before it (that row's window holds all of them; conversely the last row of a window of ≥ N rows
 * has N − 1 in-window rows before it, ties in any order). `lag` over a plain row order finds those
 * entities cheaply; the RANGE-framed count and sum — the expensive part (a frame search and a
 * segment tree per row) — then run only over the rows of the entities that qualify. Rows identical
 * to the one-pass form (the integration test and the bench compare both engines row for row).
 * On DuckDB this takes 30–45 % less CPU per query (1M rows, load 11–15, measured alternately: card
 * 1.08–1.19 → 0.69–0.86 CPU-s). PostgreSQL keeps the one-pass form, the faster one there (same rows,
 * alternately: card 14.1 / 16.8 s one-pass, 19.0 / 21.2 s two-pass; docs/benchmarks/analytics.md).
 */
function velocity(entity: 'card' | 'device' | 'ip', what: string): FraudQuery {
  return defineQuery({
    name: `${entity}_velocity`,
    description: `Busiest sliding window per ${what}: most transactions and largest amount within window_minutes`,
    datasets: ['transactions'],
    params: {
      window_minutes: { type: 'int', default: 60, min: 1, max: 525_600, doc: 'sliding window length' },
      min_count: {
        type: 'int',
        default: 5,
        min: 1,
        max: 1_000_000,
        doc: 'report entities reaching this count',
      },
    },
    sql: (d: Dialect) => {
      const win = `PARTITION BY ${entity} ORDER BY occurred_at RANGE BETWEEN ${d.minutes(d.param('window_minutes'))} PRECEDING AND CURRENT ROW`
      const busiest = (input: string) => `
SELECT entity, max(n) AS max_count, CAST(max(total) AS BIGINT) AS max_amount, count(*) AS transactions
FROM ${input}
GROUP BY entity
HAVING max(n) >= ${d.param('min_count')}
ORDER BY max_count DESC, ${d.bytes('entity')}
LIMIT ${d.param('limit')}`
      // the entity's (entity, time)-sorted table in a native file (ADR 1202): its sorts find runs in order
      const src = d.source('transactions', `by_${entity}`)
      if (d.engine === 'postgres')
        return `
WITH w AS (
  SELECT ${entity} AS entity, count(*) OVER (${win}) AS n, sum(amount) OVER (${win}) AS total
  FROM ${src} t
  WHERE ${entity} IS NOT NULL AND ${inPeriod(d, 'occurred_at')}
)${busiest('w')}`
      return `
WITH ${d.sorted('transactions', `by_${entity}`) ? streamedReach(d, entity, src) : partitionedReach(d, entity, src)},
candidates AS (
  SELECT DISTINCT entity FROM reach WHERE span <= ${d.minutes(d.param('window_minutes'))}
),
w AS (
  SELECT ${entity} AS entity, count(*) OVER (${win}) AS n, sum(amount) OVER (${win}) AS total
  FROM ${src} t
  WHERE ${entity} IN (SELECT entity FROM candidates) AND ${inPeriod(d, 'occurred_at')}
)${busiest('w')}`
    },
  })
}

/** `reach`: per in-period row, the time since the row min_count − 1 before it of the same entity. */
const partitionedReach = (d: Dialect, entity: string, src: string): string => `reach AS (
  SELECT ${entity} AS entity,
         occurred_at - lag(occurred_at, ${d.param('min_count')} - 1) OVER (PARTITION BY ${entity} ORDER BY occurred_at) AS span
  FROM ${src} t
  WHERE ${entity} IS NOT NULL AND ${inPeriod(d, 'occurred_at')}
)`

/**
 * The same `reach` over a native table stored sorted by (entity, time) (Dialect.sorted): the scan
 * already yields each entity's in-period rows in time order, one entity after another, so the row
 * min_count − 1 before in the scan is the one before in the entity's partition when it has the same
 * entity (otherwise the entity has fewer rows before it: null span, as lag gives). A window `OVER ()`
 * streams instead of hash-partitioning and sorting every row of the period.
 */
const streamedReach = (d: Dialect, entity: string, src: string): string => `ordered AS (
  SELECT ${entity} AS entity, occurred_at,
         lag(${entity}, ${d.param('min_count')} - 1) OVER () AS earlier_entity,
         lag(occurred_at, ${d.param('min_count')} - 1) OVER () AS earlier_at
  FROM ${src} t
  WHERE ${entity} IS NOT NULL AND ${inPeriod(d, 'occurred_at')}
),
reach AS (
  SELECT entity, occurred_at - earlier_at AS span FROM ordered WHERE earlier_entity = entity
)`

export const cardVelocity = velocity('card', 'card (token or fingerprint)')
export const deviceVelocity = velocity('device', 'device')
export const ipVelocity = velocity('ip', 'IP address')
