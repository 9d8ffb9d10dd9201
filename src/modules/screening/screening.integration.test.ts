import { sql } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createCatalogue, createOutbox } from '../events/index.js'
import type { ListSource } from './loaders/source.js'
import { screeningEvents } from './screening.events.js'
import { createScreening, type Screening } from './screening.service.js'

const CRLF = (lines: string[]): string => `${lines.join('\r\n')}\r\n`
const row = (id: string, name: string, type: string, remarks = '-0- '): string =>
  `${id},"${name}",${type},"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,${remarks}`

const V1 = [
  row(
    '1',
    'ABDURAKHMANOV, Maghomed Maghomedzakirovich',
    '"individual"',
    '"DOB 24 Nov 1974; nationality Russia."',
  ),
  row('2', 'BANCO NACIONAL DE CUBA', '-0- '),
  row('3', 'KARIMOV, Rustam', '"individual"', '"DOB 1960."'),
]
const sdn = (lines: string[]): ListSource => ({
  name: 'test-sdn',
  files: new Map([['sdn.csv', Buffer.from(CRLF(lines))]]),
})

describeEachDb('screening service', (target) => {
  let h: DbHandle
  let s: Screening
  const clock = fixedClock(new Date('2026-03-01T00:00:00Z'))
  beforeAll(async () => {
    h = await openTestDb(target)
    s = createScreening({ db: h.db, clock, ids: systemIds })
  })
  afterAll(async () => h.close())

  it('imports a snapshot, then records the next one as a diff of added, removed and changed entries', async () => {
    const tenant = freshTenant()
    const first = await s.importList(tenant, sdn(V1))
    expect(first).toMatchObject({
      listId: 'ofac_sdn',
      unchanged: false,
      entryCount: 3,
      added: 3,
      removed: 0,
      changed: 0,
    })
    const again = await s.importList(tenant, sdn(V1))
    expect(again).toMatchObject({ unchanged: true, snapshotId: first.snapshotId })

    const v2 = [V1[0]!.replace('1974', '1975'), V1[1]!, row('4', 'NEW PERSON, Someone', '"individual"')]
    const second = await s.importList(tenant, sdn(v2))
    expect(second).toMatchObject({ entryCount: 3, added: 1, removed: 1, changed: 1 })
    const changes = await sql<{ entry_key: string; change: string }>`
      SELECT entry_key, change FROM screening_entry_changes WHERE tenant_id = ${tenant} AND snapshot_id = ${second.snapshotId!}
      ORDER BY entry_key`.execute(h.db)
    expect(changes.rows).toEqual([
      { entry_key: '1', change: 'changed' },
      { entry_key: '3', change: 'removed' },
      { entry_key: '4', change: 'added' },
    ])
    // The removed entry's diff row keeps what was removed.
    const gone = await sql<{ data: { names: { name: string }[] } }>`
      SELECT data FROM screening_entry_changes WHERE tenant_id = ${tenant} AND snapshot_id = ${second.snapshotId!} AND entry_key = '3'`.execute(
      h.db,
    )
    expect(gone.rows[0]!.data.names[0]!.name).toBe('KARIMOV, Rustam')
    const status = await s.listStatus(tenant)
    expect(status).toHaveLength(1)
    expect(status[0]).toMatchObject({ snapshotId: second.snapshotId, added: 1, removed: 1, changed: 1 })
    // The removed entry no longer screens; the added one does.
    expect((await s.check(tenant, { name: 'Rustam Karimov' })).hits).toEqual([])
    expect((await s.check(tenant, { name: 'Someone New Person' })).hits[0]?.entryKey).toBe('4')
  })

  it('rejects a malformed file naming the line and leaves the active list untouched', async () => {
    const tenant = freshTenant()
    const ok = await s.importList(tenant, sdn(V1))
    const broken = sdn([V1[0]!, '5,"UNCLOSED, Quote,"individual"'])
    const err: unknown = await s.importList(tenant, broken).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'SCREENING_LIST_MALFORMED' })
    expect((err as Error).message).toMatch(/line 2/)
    const status = await s.listStatus(tenant)
    expect(status[0]?.snapshotId).toBe(ok.snapshotId)
    expect((await s.check(tenant, { name: 'Rustam Karimov' })).hits[0]?.entryKey).toBe('3')
  })

  it('turns hits into alerts once, remembers a "not a match" until either side changes, and audits it', async () => {
    const tenant = freshTenant()
    await s.importList(tenant, sdn(V1))
    const q = { name: 'Magomed Abdurakhmanov', type: 'person' as const, dob: '1974-11-24' }
    const first = await s.check(tenant, q, { subjectId: 'cus_1' })
    expect(first.hits[0]).toMatchObject({ listId: 'ofac_sdn', entryKey: '1' })
    expect(first.alertsCreated).toBe(1)
    expect((await s.check(tenant, q, { subjectId: 'cus_1' })).alertsCreated).toBe(0)

    await expect(
      s.recordDecision(tenant, {
        subjectId: 'cus_1',
        listId: 'ofac_sdn',
        entryKey: '404',
        decision: 'not_a_match',
        analyst: 'ana',
        reason: 'x',
      }),
    ).rejects.toMatchObject({ code: 'SCREENING_ENTRY_NOT_FOUND' })
    await expect(
      s.recordDecision(tenant, {
        subjectId: 'nobody',
        listId: 'ofac_sdn',
        entryKey: '1',
        decision: 'not_a_match',
        analyst: 'ana',
        reason: 'x',
      }),
    ).rejects.toMatchObject({ code: 'SCREENING_SUBJECT_NOT_FOUND' })
    const { decisionId } = await s.recordDecision(tenant, {
      subjectId: 'cus_1',
      listId: 'ofac_sdn',
      entryKey: '1',
      decision: 'not_a_match',
      analyst: 'ana',
      reason: 'different person: other father name',
    })
    const suppressed = await s.check(tenant, q, { subjectId: 'cus_1' })
    expect(suppressed.hits).toEqual([])
    expect(suppressed.suppressed[0]).toMatchObject({ entryKey: '1', suppressedBy: 'not_a_match' })
    const trail = await s.auditTrail(tenant, 'cus_1')
    expect(trail).toHaveLength(1)
    expect(trail[0]).toMatchObject({ action: 'decision.not_a_match', actor: 'ana', entry_key: '1' })
    expect((trail[0]!.details as { decisionId: string }).decisionId).toBe(decisionId)

    // The customer changes (new date of birth): the decision no longer applies.
    const moved = await s.check(tenant, { ...q, dob: '1974' }, { subjectId: 'cus_1' })
    expect(moved.hits[0]?.entryKey).toBe('1')
    expect(moved.alertsCreated).toBe(1)
    // Back to the cleared version: suppressed again.
    expect((await s.check(tenant, q, { subjectId: 'cus_1' })).hits).toEqual([])
    // The list entry changes: the decision no longer applies either, and the rescreen raises it.
    const v2 = [
      V1[0]!.replace('nationality Russia', 'nationality Russia; Passport 9999999 (Russia)'),
      V1[1]!,
      V1[2]!,
    ]
    const imported = await s.importList(tenant, sdn(v2))
    expect(imported.changed).toBe(1)
    expect(imported.rescreen).toMatchObject({
      subjects: 1,
      entries: 1,
      hits: 1,
      alertsCreated: 1,
      suppressed: 0,
    })
    expect((await s.check(tenant, q, { subjectId: 'cus_1' })).hits[0]?.entryKey).toBe('1')
    const alerts = await s.alerts(tenant, 'cus_1')
    expect(alerts.map((a) => a.source)).toEqual(['screen', 'screen', 'rescreen'])
  })

  it('rescreens stored subjects against added and changed entries only', async () => {
    const tenant = freshTenant()
    await s.importList(tenant, sdn(V1))
    await s.check(tenant, { name: 'Rustam Karimov', dob: '1960' }, { subjectId: 'cus_a' })
    await s.check(tenant, { name: 'Olga Petrova' }, { subjectId: 'cus_b' })
    await s.check(tenant, { name: 'Jean Dupont' }, { subjectId: 'cus_c' })
    const before = (await s.alerts(tenant)).length
    expect(before).toBe(1)
    // Olga Petrova is added; Rustam Karimov is unchanged and must not be screened again.
    const next = await s.importList(tenant, sdn([...V1, row('7', 'PETROVA, Olga', '"individual"')]))
    expect(next.rescreen).toMatchObject({ subjects: 3, entries: 1, hits: 1, alertsCreated: 1 })
    const alerts = await s.alerts(tenant)
    expect(alerts).toHaveLength(2)
    expect(alerts.find((a) => a.source === 'rescreen')).toMatchObject({ subject_id: 'cus_b', entry_key: '7' })
  })

  it('publishes imports, alerts and decisions to the events outbox in the same transaction', async () => {
    const tenant = freshTenant()
    const withEvents = createScreening({
      db: h.db,
      clock,
      ids: systemIds,
      outbox: createOutbox(createCatalogue(screeningEvents)),
    })
    await withEvents.importList(tenant, sdn(V1))
    const r = await withEvents.check(tenant, { name: 'Rustam Karimov' }, { subjectId: 'cus_ev' })
    expect(r.alertsCreated).toBe(1)
    await withEvents.check(tenant, { name: 'Rustam Karimov' }, { subjectId: 'cus_ev' })
    await withEvents.recordDecision(tenant, {
      subjectId: 'cus_ev',
      listId: 'ofac_sdn',
      entryKey: '3',
      decision: 'not_a_match',
      analyst: 'ana',
      reason: 'r',
    })
    const rows = await sql<{ topic: string; partition_key: string; payload: Record<string, unknown> }>`
      SELECT topic, partition_key, payload FROM event_outbox WHERE tenant_id = ${tenant} ORDER BY topic`.execute(
      h.db,
    )
    expect(rows.rows.map((x) => [x.topic, x.partition_key])).toEqual([
      ['screening.alert.created.v1', 'cus_ev'],
      ['screening.decision.recorded.v1', 'cus_ev'],
      ['screening.list.imported.v1', 'ofac_sdn'],
    ])
    expect(rows.rows[0]!.payload).toMatchObject({ subjectId: 'cus_ev', entryKey: '3', source: 'screen' })
    expect(rows.rows[2]!.payload).toMatchObject({ added: 3, removed: 0, changed: 0, entryCount: 3 })
  })

  it('screens batches, rejects empty names and oversize batches with codes, and keeps tenants apart', async () => {
    const tenant = freshTenant()
    await s.importList(tenant, sdn(V1))
    const r = await s.checkBatch(tenant, [{ name: 'Banco Nacional de Cuba' }, { name: 'Nobody Atall' }])
    expect(r.map((x) => x.hits.length)).toEqual([1, 0])
    await expect(s.check(tenant, { name: '  ,. ' })).rejects.toMatchObject({
      code: 'SCREENING_NAME_REQUIRED',
      kind: 'invalid',
    })
    await expect(s.check(tenant, { name: 'x', dob: '12/2000' })).rejects.toMatchObject({
      code: 'SCREENING_DOB_INVALID',
    })
    await expect(
      s.checkBatch(
        tenant,
        Array.from({ length: 1001 }, () => ({ name: 'a' })),
      ),
    ).rejects.toMatchObject({
      code: 'SCREENING_BATCH_TOO_LARGE',
      kind: 'too_large',
    })
    expect(await s.warm(tenant)).toEqual({ entries: 3 })
    const other = freshTenant()
    expect((await s.check(other, { name: 'Banco Nacional de Cuba' })).hits).toEqual([])
    expect(await s.listStatus(other)).toEqual([])
  })
})
