import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { thingRecord } from '../../../test/support/audit.js'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createCrypto, ed25519PublicKey } from '../crypto/index.js'
import {
  checkpointBody,
  createAudit,
  leafHash,
  verifyConsistency,
  verifyExport,
  verifyInclusion,
  type Audit,
} from './index.js'
import { verify as edVerify } from 'node:crypto'

const clock = fixedClock(new Date('2026-03-01T00:00:00Z'))

describeEachDb('audit log', (target) => {
  let h: DbHandle
  let audit: Audit
  let keys: ReturnType<Awaited<ReturnType<typeof createCrypto>>['keyring']['auditKeys']>

  beforeAll(async () => {
    h = await openTestDb(target, 6)
    const crypto = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: (await import('../crypto/index.js')).localKeyStore(randomBytes(32)),
    })
    // No timed append: each test decides when entries move from the intake to the log (flush).
    keys = crypto.keyring.auditKeys()
    audit = createAudit({ db: h.db, clock, keys, batchMax: 7, flushMs: 60_000 })
  })
  afterAll(async () => {
    await audit.close()
    await h.close()
  })

  const fill = async (tenant: string, n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      void audit.record({
        tenant,
        actor: `user:${i % 3}`,
        action: 'payments.intent.capture',
        resource: `pay_${i}`,
        outcome: i % 5 === 0 ? 'failure' : 'success',
        origin: '10.0.0.1',
        details: { amount: String(100 + i) },
      })
    }
    await audit.flush()
  }
  const kinds = (r: Awaited<ReturnType<Audit['verify']>>) =>
    r.findings.map((f) => `${f.kind}:${f.seq}${f.foundAt !== undefined ? `@${f.foundAt}` : ''}`)

  it('appends off the caller path in batches with a signed checkpoint per batch, and verifies', async () => {
    const tenant = freshTenant()
    const before = await audit.pending()
    await audit.record({
      tenant,
      actor: 'a',
      action: 'auth.session.create',
      resource: 'ses_1',
      outcome: 'success',
      origin: 'cli',
    })
    expect(await audit.pending()).toBe(before + 1) // durable in the intake, not yet in the log
    await fill(tenant, 20)
    expect(await audit.pending()).toBe(0)
    const cps = await audit.checkpoints(tenant)
    expect(cps.length).toBeGreaterThanOrEqual(3) // 21 entries in batches of ≤ 7
    const last = cps[cps.length - 1]!
    expect(last.treeSize).toBe(21)
    const pub = ed25519PublicKey(audit.signer.publicKey)
    expect(
      edVerify(
        null,
        Buffer.from(checkpointBody(tenant, last.treeSize, last.root, last.signedAt)),
        pub,
        last.signature,
      ),
    ).toBe(true)
    const report = await audit.verify(tenant)
    expect(report).toMatchObject({ ok: true, entries: 21, treeSize: 21, checkpointsVerified: cps.length })
    expect(report.root).toBe(last.root.toString('hex'))
    const [first] = await audit.entries(tenant, 0, 1)
    expect(first!.entry).toMatchObject({
      seq: 0,
      actor: 'a',
      action: 'auth.session.create',
      outcome: 'success',
      origin: 'cli',
      tenant,
    })
  })

  it('refuses malformed records at the call, so no poison entry ever reaches the intake', async () => {
    const ok = {
      tenant: freshTenant(),
      actor: 'a',
      action: 'b',
      resource: 'c',
      outcome: 'success',
      origin: 'o',
    } as const
    for (const bad of [
      { ...ok, tenant: '' },
      { ...ok, actor: 'x\u0000y' },
      { ...ok, outcome: 'maybe' },
      { ...ok, resource: 'r'.repeat(600) },
    ]) {
      expect(() => audit.record(bad as never)).toThrow(/Audit (record field|outcome)/)
    }
    expect(await audit.pending()).toBe(0)
  })

  it('serves inclusion and consistency proofs that verify against signed roots', async () => {
    const tenant = freshTenant()
    await fill(tenant, 10)
    const cps = await audit.checkpoints(tenant)
    const latest = cps[cps.length - 1]!
    for (const seq of [0, 4, 9]) {
      const p = await audit.inclusionProof(tenant, seq)
      const [stored] = await audit.entries(tenant, seq, 1)
      expect(p.leafHash.equals(leafHash(Buffer.from(JSON.stringify(stored!.entry))))).toBe(true)
      expect(verifyInclusion(seq, p.treeSize, p.leafHash, p.proof, latest.root)).toBe(true)
    }
    const older = cps[0]!
    const c = await audit.consistencyProof(tenant, older.treeSize)
    expect(verifyConsistency(older.treeSize, latest.treeSize, older.root, latest.root, c.proof)).toBe(true)
    await expect(audit.inclusionProof(tenant, 10)).rejects.toMatchObject({ code: 'AUDIT_BAD_RANGE' })
    await expect(audit.inclusionProof(tenant, 0, 3)).rejects.toMatchObject({ code: 'AUDIT_NO_CHECKPOINT' })
  })

  it('names an entry edited directly in SQL', async () => {
    const tenant = freshTenant()
    await fill(tenant, 12)
    await sql`UPDATE audit_entries SET entry = replace(entry, '"outcome":"failure"', '"outcome":"success"')
              WHERE tenant_id = ${tenant} AND seq = 5`.execute(h.db)
    const r = await audit.verify(tenant)
    expect(r.ok).toBe(false)
    expect(kinds(r)).toEqual(['altered:5'])
  })

  it('names an edit even when the attacker also recomputes the leaf hash', async () => {
    const tenant = freshTenant()
    await fill(tenant, 8)
    const row = await sql<{
      entry: string
    }>`SELECT entry FROM audit_entries WHERE tenant_id = ${tenant} AND seq = 3`.execute(h.db)
    const forged = row.rows[0]!.entry.replace('user:0', 'user:9')
    await sql`UPDATE audit_entries SET entry = ${forged}, leaf_hash = ${leafHash(Buffer.from(forged))}
              WHERE tenant_id = ${tenant} AND seq = 3`.execute(h.db)
    expect(kinds(await audit.verify(tenant))).toEqual(['altered:3'])
  })

  it('names a deleted entry, a deleted tail, and an inserted entry', async () => {
    const tenant = freshTenant()
    await fill(tenant, 12)
    await sql`DELETE FROM audit_entries WHERE tenant_id = ${tenant} AND seq IN (4, 11)`.execute(h.db)
    const forged = JSON.stringify({
      seq: 12,
      ts: '2026-03-01T00:00:00.000Z',
      tenant,
      actor: 'x',
      action: 'y',
      resource: 'z',
      outcome: 'success',
      origin: 'o',
    })
    await sql`INSERT INTO audit_entries (tenant_id, seq, entry, leaf_hash, mac, created_at)
              VALUES (${tenant}, 12, ${forged}, ${leafHash(Buffer.from(forged))}, ${randomBytes(32)}, now())`.execute(
      h.db,
    )
    expect(kinds(await audit.verify(tenant))).toEqual(['removed:4', 'removed:11', 'inserted:12'])
  })

  it('names two swapped entries and a renumbered deletion', async () => {
    const tenant = freshTenant()
    await fill(tenant, 10)
    await sql`UPDATE audit_entries SET seq = -1 WHERE tenant_id = ${tenant} AND seq = 2`.execute(h.db)
    await sql`UPDATE audit_entries SET seq = 2 WHERE tenant_id = ${tenant} AND seq = 6`.execute(h.db)
    await sql`UPDATE audit_entries SET seq = 6 WHERE tenant_id = ${tenant} AND seq = -1`.execute(h.db)
    expect(kinds(await audit.verify(tenant))).toEqual(['reordered:2@6', 'reordered:6@2'])

    const t2 = freshTenant()
    await fill(t2, 6)
    await sql`DELETE FROM audit_entries WHERE tenant_id = ${t2} AND seq = 3`.execute(h.db)
    await sql`UPDATE audit_entries SET seq = seq - 1 WHERE tenant_id = ${t2} AND seq > 3`.execute(h.db)
    expect(kinds(await audit.verify(t2))).toEqual(['removed:3', 'reordered:4@3', 'reordered:5@4'])
  })

  it('checks the stored leaf-hash column (a cache for proofs) in the full analysis', async () => {
    const tenant = freshTenant()
    await fill(tenant, 6)
    await sql`UPDATE audit_entries SET leaf_hash = ${randomBytes(32)} WHERE tenant_id = ${tenant} AND seq = 2`.execute(
      h.db,
    )
    // The entries and signed roots are intact, so the fast path passes; --full names the bad cache row.
    expect((await audit.verify(tenant)).ok).toBe(true)
    expect(kinds(await audit.verify(tenant, { full: true }))).toEqual(['index:2'])
    await expect(audit.inclusionProof(tenant, 2)).resolves.toMatchObject({ seq: 2 }) // served, and fails client-side:
    const p = await audit.inclusionProof(tenant, 2)
    expect(verifyInclusion(2, p.treeSize, p.leafHash, p.proof, p.checkpoint.root)).toBe(false)
  })

  it('names entries swapped in content (seq column kept) and copies between tenants', async () => {
    const tenant = freshTenant()
    await fill(tenant, 6)
    await sql`UPDATE audit_entries a SET entry = b.entry, leaf_hash = b.leaf_hash, mac = b.mac
              FROM audit_entries b WHERE a.tenant_id = ${tenant} AND b.tenant_id = ${tenant} AND a.seq = 1 AND b.seq = 0`.execute(
      h.db,
    )
    expect(kinds(await audit.verify(tenant))).toEqual(['inserted:0@1', 'removed:1'])

    const other = freshTenant()
    await fill(other, 3)
    await sql`UPDATE audit_entries a SET entry = b.entry, leaf_hash = b.leaf_hash, mac = b.mac
              FROM audit_entries b WHERE a.tenant_id = ${other} AND b.tenant_id = ${tenant} AND a.seq = 2 AND b.seq = 2`.execute(
      h.db,
    )
    expect(kinds(await audit.verify(other))).toEqual(['altered:2'])
  })

  it('detects a forged checkpoint root and a deleted checkpoint', async () => {
    const tenant = freshTenant()
    await fill(tenant, 9)
    await sql`UPDATE audit_checkpoints SET root = ${randomBytes(32)} WHERE tenant_id = ${tenant} AND tree_size = 7`.execute(
      h.db,
    )
    expect(kinds(await audit.verify(tenant))).toEqual(['checkpoint:7'])
    const t2 = freshTenant()
    await fill(t2, 9)
    await sql`DELETE FROM audit_checkpoints WHERE tenant_id = ${t2} AND tree_size = 9`.execute(h.db)
    expect(kinds(await audit.verify(t2))).toEqual(['checkpoint:7'])
  })

  it('keeps verifying after retention prunes entry texts, and exports a self-contained file', async () => {
    const tenant = freshTenant()
    await fill(tenant, 5)
    clock.advance(86_400_000 * 10)
    await fill(tenant, 3)
    const pruned = await audit.prune(tenant, new Date(clock.now().getTime() - 86_400_000))
    expect(pruned).toBe(5)
    const r = await audit.verify(tenant)
    expect(r).toMatchObject({ ok: true, pruned: 5, entries: 8 })
    const lines: string[] = []
    const out = await audit.export(tenant, (l) => void lines.push(l))
    expect(out.entries).toBe(8)
    const parsed = lines.map((l) => JSON.parse(l) as { type: string; entry?: string | null })
    expect(parsed[0]).toMatchObject({ type: 'header', tenant, hashing: 'rfc6962-sha256' })
    expect(parsed.filter((p) => p.type === 'entry').map((p) => p.entry === null)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ])
    expect(parsed.filter((p) => p.type === 'checkpoint').length).toBe(out.checkpoints)
    // A third party checks the export with the public key alone; an edited export fails.
    expect(verifyExport(lines)).toMatchObject({
      ok: true,
      tenant,
      entries: 8,
      checkpointsVerified: out.checkpoints,
    })
    const edited = lines.map((l, i) => (i === 7 ? l.replace('pay_', 'pay_X') : l))
    expect(verifyExport(edited).ok).toBe(false)
    // A pruned entry whose leaf hash is then altered is still named.
    await sql`UPDATE audit_entries SET leaf_hash = ${randomBytes(32)} WHERE tenant_id = ${tenant} AND seq = 1`.execute(
      h.db,
    )
    expect(kinds(await audit.verify(tenant))).toEqual(['altered:1'])
  })

  it('serialises concurrent appenders on one tenant (two audit instances, like two processes)', async () => {
    const tenant = freshTenant()
    const crypto = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: (await import('../crypto/index.js')).localKeyStore(randomBytes(32)),
    })
    const keys = crypto.keyring.auditKeys()
    const a = createAudit({ db: h.db, clock, keys, batchMax: 5, flushMs: 1 })
    const b = createAudit({ db: h.db, clock, keys, batchMax: 5, flushMs: 1 })
    for (let i = 0; i < 40; i++)
      void (i % 2 ? a : b).record({
        tenant,
        actor: 'x',
        action: 'y',
        resource: `r${i}`,
        outcome: 'success',
        origin: 'o',
      })
    await Promise.all([a.flush(), b.flush()])
    const r = await b.verify(tenant)
    expect(r).toMatchObject({ ok: true, entries: 40, treeSize: 40 })
    await Promise.all([a.close(), b.close()])
  })
  const rec = thingRecord

  it('recordIn writes with the change: a rolled-back transaction leaves no entry, a committed one does', async () => {
    const tenant = freshTenant()
    await h.db
      .transaction()
      .execute(async (tx) => {
        await audit.recordIn(tx, rec(tenant, 'thing:rolled-back'))
        throw new Error('the change failed')
      })
      .catch(() => undefined)
    await h.db.transaction().execute(async (tx) => audit.recordIn(tx, rec(tenant, 'thing:committed')))
    await audit.flush()
    const got = await audit.entries(tenant, 0, 10)
    expect(got.map((e) => e.entry?.resource)).toEqual(['thing:committed'])
  })

  it('recordAllIn writes a batch with the change, in order, or nothing when it rolls back', async () => {
    const tenant = freshTenant()
    await h.db
      .transaction()
      .execute(async (tx) => {
        await audit.recordAllIn(tx, [rec(tenant, 'batch:x'), rec(tenant, 'batch:y')])
        throw new Error('the change failed')
      })
      .catch(() => undefined)
    await h.db.transaction().execute(async (tx) =>
      audit.recordAllIn(
        tx,
        ['a', 'b', 'c'].map((r) => rec(tenant, `batch:${r}`)),
      ),
    )
    await audit.flush()
    const got = await audit.entries(tenant, 0, 10)
    expect(got.map((e) => e.entry?.resource)).toEqual(['batch:a', 'batch:b', 'batch:c'])
  })

  it('keeps a batch in one intake row per tenant, and appends it in order across appends, each entry once', async () => {
    const [t1, t2] = [freshTenant(), freshTenant()]
    const intakeRows = async (tenant: string) =>
      (
        await sql<{ n: number; e: number }>`SELECT count(*)::int AS n, coalesce(sum(entries), 0)::int AS e
          FROM audit_intake WHERE tenant_id = ${tenant}`.execute(h.db)
      ).rows[0]!
    const before = await audit.pending()
    // 12 records of one tenant interleaved with 3 of another, as a webhook round mixes tenants.
    const batch = Array.from({ length: 15 }, (_, i) =>
      i % 5 === 4 ? rec(t2, `other:${i}`) : rec(t1, `mine:${i}`),
    )
    await h.db.transaction().execute(async (tx) => audit.recordAllIn(tx, batch))
    expect(await intakeRows(t1)).toEqual({ n: 1, e: 12 })
    expect(await intakeRows(t2)).toEqual({ n: 1, e: 3 })
    expect(await audit.pending()).toBe(before + 15)
    // batchMax 7: the first tenant's row is split over appends, its tail kept until the next one.
    await audit.flush()
    expect(await intakeRows(t1)).toEqual({ n: 0, e: 0 })
    const mine = await audit.entries(t1, 0, 100)
    expect(mine.map((e) => e.entry?.resource)).toEqual(
      batch.filter((r) => r.tenant === t1).map((r) => r.resource),
    )
    const other = await audit.entries(t2, 0, 100)
    expect(other.map((e) => e.entry?.resource)).toEqual(['other:4', 'other:9', 'other:14'])
    expect(await audit.verify(t1)).toMatchObject({ ok: true, entries: 12 })
    // More than one signed checkpoint: no append took more than batchMax (7) entries.
    expect((await audit.checkpoints(t1)).length).toBeGreaterThanOrEqual(2)
  })

  it('loses nothing a crashed process recorded: another process appends its intake, each entry once', async () => {
    const tenant = freshTenant()
    // "Process" A records durably and dies before appending (never flushed, never closed).
    const dead = createAudit({ db: h.db, clock, keys, flushMs: 60_000 })
    for (let i = 0; i < 30; i++) await dead.record(rec(tenant, `thing:${i}`))
    // Two survivors drain concurrently: the intake rows leave in the transaction that appends them.
    const b = createAudit({ db: h.db, clock, keys, batchMax: 4, flushMs: 60_000 })
    const c = createAudit({ db: h.db, clock, keys, batchMax: 4, flushMs: 60_000 })
    await Promise.all([b.flush(), c.flush()])
    const got = await b.entries(tenant, 0, 100)
    expect(got.map((e) => e.entry?.resource)).toEqual(Array.from({ length: 30 }, (_, i) => `thing:${i}`))
    const report = await b.verify(tenant)
    expect(report.findings).toEqual([])
    expect(report).toMatchObject({ ok: true, entries: 30 })
    await Promise.all([b.close(), c.close()])
  })

  it('durableSince awaits the records submitted since a mark, including those nobody awaited', async () => {
    const tenant = freshTenant()
    const mark = audit.submitted()
    setImmediate(() => void audit.record(rec(tenant, 'thing:fire-and-forget')))
    await new Promise((r) => setImmediate(r))
    expect(audit.submitted()).toBe(mark + 1)
    await audit.durableSince(mark)
    expect(await audit.pending()).toBeGreaterThanOrEqual(1) // in the intake before durableSince resolved
    await audit.flush()
    expect((await audit.entries(tenant, 0, 1))[0]?.entry?.resource).toBe('thing:fire-and-forget')
    // Nothing submitted since: answered at once.
    await audit.durableSince(audit.submitted())
  })
})
