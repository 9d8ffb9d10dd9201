import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../../test/support/db.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { searchEngineContract } from '../search.contract.js'
import { createPostgresEngine } from './postgres.js'

describeEachDb('postgres search engine', (target) => {
  searchEngineContract(`postgres (${target.name})`, async () => {
    const handle = await openTestDb(target)
    return { engine: createPostgresEngine(handle.db), close: () => handle.close() }
  })

  // The engine sets its trigram threshold (0.45) inside the search statement itself: a word at 0.55
  // word similarity is found (the server default, 0.6, would miss it) and the setting does not outlive
  // the statement on the pooled connection.
  let handle: DbHandle
  beforeAll(async () => {
    handle = await openTestDb(target, 1)
  }, 120_000)
  afterAll(() => handle.close())

  it('applies its trigram threshold within the one search statement', async () => {
    const engine = createPostgresEngine(handle.db)
    const tenant = freshTenant()
    await engine.upsert(
      [
        {
          tenantId: tenant,
          type: 'counterparty',
          id: 'cp_wellington',
          title: 'Wellington Harbour Trading',
          body: 'wellington harbour trading',
          sealed: [],
          keys: [],
          occurredAt: new Date('2026-01-01T00:00:00Z'),
          attributes: {},
        },
      ],
      new Date(),
    )
    const hits = await engine.search({
      tenantId: tenant,
      text: 'welingtn',
      words: ['welingtn'],
      sealedGroups: [],
      keys: [],
      limit: 10,
    })
    expect(hits.map((h) => h.doc.id)).toEqual(['cp_wellington'])
    const after = await sql<{ v: string | null }>`
      SELECT current_setting('pg_trgm.word_similarity_threshold', true) AS v`.execute(handle.db)
    expect(after.rows[0]!.v).not.toBe('0.45')
  })

  // A reindex rewrites a tenant's documents; without statistics the planner read the tenant's whole key
  // range for every search (1–2 s on 51,066 names). afterReindex ANALYZEs the table.
  it('refreshes the planner statistics after a reindex', async () => {
    const engine = createPostgresEngine(handle.db)
    const started = await sql<{ t: Date }>`SELECT now() AS t`.execute(handle.db)
    await engine.afterReindex!()
    const analyzedAt = async () =>
      (
        await sql<{ t: Date | null }>`SELECT last_analyze AS t FROM pg_stat_user_tables
          WHERE relname = 'search_documents'`.execute(handle.db)
      ).rows[0]?.t ?? null
    // Statistics views are flushed by the backend once idle (PostgreSQL 15: within about a second).
    let at = await analyzedAt()
    for (let i = 0; i < 50 && !(at && new Date(at) >= new Date(started.rows[0]!.t)); i++) {
      await new Promise((r) => setTimeout(r, 100))
      at = await analyzedAt()
    }
    expect(at).not.toBeNull()
    expect(new Date(at!).getTime()).toBeGreaterThanOrEqual(new Date(started.rows[0]!.t).getTime())
  })
})
