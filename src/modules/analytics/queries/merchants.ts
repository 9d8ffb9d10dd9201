import type { Dialect } from '../dialect.js'
import { defineQuery } from './query.js'

/**
 * Chargeback and refund ratios per merchant, next to its cohort's (merchants whose first payment
 * fell in the same month). Ratios are integer parts per million, so both engines agree exactly.
 */
export const merchantRatios = defineQuery({
  name: 'merchant_ratios',
  description: 'Chargeback and refund ratios (ppm) per merchant and per monthly cohort of first payment',
  datasets: ['payments'],
  params: {
    min_payments: {
      type: 'int',
      default: 20,
      min: 1,
      max: 100_000_000,
      doc: 'merchants with at least this many captured payments',
    },
  },
  // DuckDB turns the cohort windows into a join of m with its own aggregate and computes m (a
  // group-by of every payment) twice; MATERIALIZED groups once (1M payments sorted by merchant, as
  // in the 10M bench: CPU 32–36 → 21–22 ms, session 17). PostgreSQL's text is unchanged: it plans
  // a CTE referenced once inline.
  sql: (d: Dialect) => `
WITH m AS ${d.engine === 'duckdb' ? 'MATERIALIZED ' : ''}(
  SELECT merchant, min(created_at) AS first_at, count(*) AS payments,
         count(*) FILTER (WHERE amount_refunded > 0) AS refunds,
         count(*) FILTER (WHERE amount_disputed > 0) AS chargebacks
  FROM ${d.source('payments', 'by_merchant')} p
  WHERE merchant IS NOT NULL AND amount_captured > 0
  GROUP BY merchant
), c AS (
  SELECT ${d.month('first_at')} AS cohort, merchant, payments, refunds, chargebacks,
         sum(payments) OVER (PARTITION BY ${d.month('first_at')}) AS cohort_payments,
         sum(chargebacks) OVER (PARTITION BY ${d.month('first_at')}) AS cohort_chargebacks,
         sum(refunds) OVER (PARTITION BY ${d.month('first_at')}) AS cohort_refunds
  FROM m
)
SELECT cohort, merchant, payments, refunds, chargebacks,
       ${d.idiv('chargebacks * 1000000', 'payments')} AS chargeback_ppm,
       ${d.idiv('refunds * 1000000', 'payments')} AS refund_ppm,
       ${d.idiv('cohort_chargebacks * 1000000', 'cohort_payments')} AS cohort_chargeback_ppm,
       ${d.idiv('cohort_refunds * 1000000', 'cohort_payments')} AS cohort_refund_ppm
FROM c
WHERE payments >= ${d.param('min_payments')} AND ${d.bytes('cohort')} >= ${d.bytes(d.month(d.param('from')))}
  AND ${d.bytes('cohort')} < ${d.bytes(d.month(d.param('to')))}
ORDER BY cohort, chargeback_ppm DESC, ${d.bytes('merchant')}
LIMIT ${d.param('limit')}`,
})
