import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import type { DecisionScores } from '../monitoring/index.js'
import { DAY_MS } from '../monitoring/index.js'

/**
 * Every model's scores in the monitoring decision, kept per model, subject and day as the highest
 * probability seen (and how many transactions were scored): what the champion/challenger metrics
 * read. A row per scored transaction would grow with traffic; a subject-day is what an alert budget
 * counts anyway (one analyst review per customer, not per payment).
 */

export interface SubjectDay {
  readonly subject: string
  readonly day: number
  readonly maxProbability: number
  readonly champion: boolean
}

interface Agg {
  model: string
  day: string
  subject: string
  p: number
  n: number
  txn: string
  champion: boolean
}

export function createScoreStore(db: Db) {
  return {
    async record(tx: Db, tenant: string, list: readonly DecisionScores[]): Promise<void> {
      const agg = new Map<string, Agg>()
      for (const s of list) {
        const day = new Date(Math.floor(s.at / DAY_MS) * DAY_MS).toISOString().slice(0, 10)
        for (const [m, champion] of [
          [s.champion, true] as const,
          ...s.challengers.map((c) => [c, false] as const),
        ]) {
          for (const side of m.sides) {
            const key = `${m.modelId}|${day}|${side.subject}`
            const a = agg.get(key)
            if (!a) {
              agg.set(key, {
                model: m.modelId,
                day,
                subject: side.subject,
                p: side.probability,
                n: 1,
                txn: s.txnId,
                champion,
              })
            } else {
              a.n++
              if (side.probability > a.p) {
                a.p = side.probability
                a.txn = s.txnId
              }
            }
          }
        }
      }
      if (agg.size === 0) return
      const rows = [...agg.values()]
      await sql`INSERT INTO risk_scores (tenant_id, model_id, day, subject, max_probability, scored, top_txn_id, champion)
        SELECT ${tenant}, u.model_id, u.day::date, u.subject, u.p, u.n, u.txn, u.champion
        FROM unnest(${rows.map((r) => r.model)}::text[], ${rows.map((r) => r.day)}::text[],
          ${rows.map((r) => r.subject)}::text[], ${rows.map((r) => r.p)}::float8[], ${rows.map((r) => r.n)}::int[],
          ${rows.map((r) => r.txn)}::text[], ${rows.map((r) => r.champion)}::bool[])
          AS u(model_id, day, subject, p, n, txn, champion)
        ON CONFLICT (tenant_id, model_id, day, subject) DO UPDATE SET
          scored = risk_scores.scored + excluded.scored,
          top_txn_id = CASE WHEN excluded.max_probability > risk_scores.max_probability
            THEN excluded.top_txn_id ELSE risk_scores.top_txn_id END,
          max_probability = greatest(risk_scores.max_probability, excluded.max_probability),
          champion = excluded.champion`.execute(tx)
    },

    /** A model's subject-days in [from, to), oldest first. */
    async subjectDays(tenant: string, modelId: string, from: number, to: number): Promise<SubjectDay[]> {
      const r = await sql<{ subject: string; day: string; max_probability: number; champion: boolean }>`
        SELECT subject, to_char(day, 'YYYY-MM-DD') AS day, max_probability, champion FROM risk_scores
        WHERE tenant_id = ${tenant} AND model_id = ${modelId}
          AND day >= ${new Date(from).toISOString().slice(0, 10)}::date
          AND day < ${new Date(to).toISOString().slice(0, 10)}::date
        ORDER BY day`.execute(db)
      return r.rows.map((x) => ({
        subject: x.subject,
        day: Date.parse(`${x.day}T00:00:00Z`),
        maxProbability: Number(x.max_probability),
        champion: x.champion,
      }))
    },

    /** Subject-days of whichever model was champion on each day of [from, to) (the live budget). */
    async championDays(tenant: string, from: number, to: number): Promise<SubjectDay[]> {
      const r = await sql<{
        subject: string
        day: string
        max_probability: number
        threshold: number
      }>`
        SELECT s.subject, to_char(s.day, 'YYYY-MM-DD') AS day, s.max_probability, m.threshold FROM risk_scores s
        JOIN risk_models m ON m.tenant_id = s.tenant_id AND m.model_id = s.model_id
        WHERE s.tenant_id = ${tenant} AND s.champion
          AND s.day >= ${new Date(from).toISOString().slice(0, 10)}::date
          AND s.day < ${new Date(to).toISOString().slice(0, 10)}::date
          AND s.max_probability >= m.threshold`.execute(db)
      return r.rows.map((x) => ({
        subject: x.subject,
        day: Date.parse(`${x.day}T00:00:00Z`),
        maxProbability: Number(x.max_probability),
        champion: true,
      }))
    },
  }
}

export type ScoreStore = ReturnType<typeof createScoreStore>
