import { sql } from 'kysely'
import type { Db } from '../../shared/db/connect.js'
import { mapInSlices } from '../../shared/time-slice.js'
import type { DecisionScores } from '../monitoring/index.js'
import { DAY_MS } from '../monitoring/index.js'
import { SUBJECT_TOP_ROWS } from './combine.js'

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

/** A subject's highest row log-odds of one day (what a rebuilt scorer starts from). */
export interface SubjectDayMargins {
  readonly subject: string
  readonly day: number
  /** Highest first, at most SUBJECT_DAY_MARGINS. */
  readonly margins: readonly number[]
  /** Each margin's transaction time, when kept (training seeds); else the day stands for them all. */
  readonly at?: readonly number[]
  /** How many of the subject's rows the model scored that day (its score's row count, SubjectScores). */
  readonly scored: number
}

/** Row margins kept per subject-day: a subject's score is made of its top SUBJECT_TOP_ROWS rows. */
export const SUBJECT_DAY_MARGINS = SUBJECT_TOP_ROWS

/** Seed rows per INSERT (five parameters' arrays each). */
const SEED_CHUNK = 5_000

interface Agg {
  model: string
  day: string
  subject: string
  p: number
  n: number
  txn: string
  champion: boolean
  margins: number[]
}

/** Keeps the SUBJECT_DAY_MARGINS highest of `into` and `m`, highest first. */
function keepTop(into: number[], m: number | undefined): void {
  if (m === undefined) return
  into.push(m)
  into.sort((a, b) => b - a)
  if (into.length > SUBJECT_DAY_MARGINS) into.length = SUBJECT_DAY_MARGINS
}

export function createScoreStore(db: Db) {
  return {
    async record(tx: Db, tenant: string, list: readonly DecisionScores[]): Promise<void> {
      const agg = new Map<string, Agg>()
      for (const s of list) {
        const day = new Date(Math.floor(s.at / DAY_MS) * DAY_MS).toISOString().slice(0, 10)
        for (const [m, champion] of [
          ...(s.champion ? [[s.champion, true] as const] : []),
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
                margins: side.margin === undefined ? [] : [side.margin],
              })
            } else {
              a.n++
              keepTop(a.margins, side.margin)
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
      // margins travel as one text literal per row ('{1.5,0.2}'): unnest flattens a 2-D array
      const margins = rows.map((r) => `{${r.margins.join(',')}}`)
      await sql`INSERT INTO risk_scores (tenant_id, model_id, day, subject, max_probability, scored, top_txn_id, champion, top_margins)
        SELECT ${tenant}, u.model_id, u.day::date, u.subject, u.p, u.n, u.txn, u.champion, u.margins::float8[]
        FROM unnest(${rows.map((r) => r.model)}::text[], ${rows.map((r) => r.day)}::text[],
          ${rows.map((r) => r.subject)}::text[], ${rows.map((r) => r.p)}::float8[], ${rows.map((r) => r.n)}::int[],
          ${rows.map((r) => r.txn)}::text[], ${rows.map((r) => r.champion)}::bool[], ${margins}::text[])
          AS u(model_id, day, subject, p, n, txn, champion, margins)
        ON CONFLICT (tenant_id, model_id, day, subject) DO UPDATE SET
          top_margins = (SELECT array_agg(m ORDER BY m DESC) FROM (
            SELECT m FROM unnest(coalesce(risk_scores.top_margins, '{}') || excluded.top_margins) AS m
            ORDER BY m DESC LIMIT ${SUBJECT_DAY_MARGINS}) AS top),
          scored = risk_scores.scored + excluded.scored,
          top_txn_id = CASE WHEN excluded.max_probability > risk_scores.max_probability
            THEN excluded.top_txn_id ELSE risk_scores.top_txn_id END,
          max_probability = greatest(risk_scores.max_probability, excluded.max_probability),
          champion = excluded.champion`.execute(tx)
    },

    /**
     * A model's training rows of its window's last SUBJECT_WINDOW_MS, per subject-day (training.ts
     * subjectSeeds): its subjects start from them in the decision path, so a model promoted right
     * after training does not score every subject as if it had never been seen. Kept apart from
     * risk_scores, which the champion/challenger metrics read as what the decision path scored.
     */
    async seed(tenant: string, modelId: string, days: readonly SubjectDayMargins[]): Promise<void> {
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
      for (let i = 0; i < days.length; i += SEED_CHUNK) {
        const rows = days.slice(i, i + SEED_CHUNK)
        await sql`INSERT INTO risk_subject_seeds (tenant_id, model_id, day, subject, top_margins, top_at, scored)
          SELECT ${tenant}, ${modelId}, u.day::date, u.subject, u.margins::float8[], u.at::float8[], u.n
          FROM unnest(${rows.map((r) => day(r.day))}::text[], ${rows.map((r) => r.subject)}::text[],
            ${rows.map((r) => `{${r.margins.join(',')}}`)}::text[],
            ${rows.map((r) => `{${(r.at ?? []).join(',')}}`)}::text[], ${rows.map((r) => r.scored)}::int[])
            AS u(day, subject, margins, at, n)
          ON CONFLICT (tenant_id, model_id, day, subject) DO NOTHING`.execute(db)
      }
    },

    /**
     * A model's subjects' highest row margins per day of [from, to), oldest day first: its training
     * seed and what the decision path scored (a subject-day may have both, each with its own rows).
     */
    async subjectMargins(
      tenant: string,
      modelId: string,
      from: number,
      to: number,
    ): Promise<SubjectDayMargins[]> {
      const lo = new Date(from).toISOString().slice(0, 10)
      const hi = new Date(to).toISOString().slice(0, 10)
      const r = await sql<{
        subject: string
        day: string
        top_margins: number[]
        top_at: number[] | null
        scored: number
      }>`
        SELECT subject, to_char(day, 'YYYY-MM-DD') AS day, top_margins, top_at, scored FROM (
          SELECT subject, day, top_margins, NULL::float8[] AS top_at, scored FROM risk_scores
          WHERE tenant_id = ${tenant} AND model_id = ${modelId} AND cardinality(top_margins) > 0
            AND day >= ${lo}::date AND day < ${hi}::date
          UNION ALL
          SELECT subject, day, top_margins, top_at, scored FROM risk_subject_seeds
          WHERE tenant_id = ${tenant} AND model_id = ${modelId} AND day >= ${lo}::date AND day < ${hi}::date
        ) AS kept
        ORDER BY day, subject`.execute(db)
      // in slices: hundreds of thousands of subject-days on a scorer rebuild (session 29)
      return mapInSlices(r.rows, (x) => ({
        subject: x.subject,
        day: Date.parse(`${x.day}T00:00:00Z`),
        margins: x.top_margins.map(Number),
        ...(x.top_at ? { at: x.top_at.map(Number) } : {}),
        scored: Number(x.scored),
      }))
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
  }
}

export type ScoreStore = ReturnType<typeof createScoreStore>
