import { randomBytes, sign } from 'node:crypto'
import { sql } from 'kysely'
import { XMLParser } from 'fast-xml-parser'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeEachDb, freshTenant, openTestDb } from '../../../test/support/db.js'
import { fixedClock } from '../../shared/clock.js'
import type { DbHandle } from '../../shared/db/connect.js'
import { systemIds } from '../../shared/ids.js'
import { createAudit, type Audit } from '../audit/index.js'
import { createCrypto, localKeyStore } from '../crypto/index.js'
import { createCatalogue, createInbox, createOutbox, type EventMessage } from '../events/index.js'
import { monitoringEvents } from '../monitoring/index.js'
import { screeningEvents } from '../screening/index.js'
import type { Actor, CaseAlert } from './cases.js'
import { casesEvents } from './cases.events.js'
import { createCases, type Cases } from './cases.service.js'
import { verifyEvidenceBundle } from './bundle-verify.js'
import { ingestMessages } from './intake.js'

const analyst = (id: string, grants: string[] = ['cases:*']): Actor => ({
  id: `operator:${id}`,
  grants,
  origin: 'test',
})

export function monitoringAlert(over: Partial<CaseAlert> & { alertId: string }): CaseAlert {
  return {
    source: 'monitoring',
    partyId: 'cus_1',
    subject: 'acc_cust',
    rule: 'structuring.cash_below_threshold',
    typology: 'structuring',
    score: 40,
    priority: 3,
    summary: 'Repeated cash deposits just below the reporting threshold',
    raisedAt: new Date('2026-04-01T10:00:00Z'),
    transactions: [`txn_${over.alertId}`],
    counterparties: ['cash_desk'],
    payload: { context: { txn: { amount: '900000', currency: 'USD', kind: 'cash_deposit' } } },
    ...over,
  }
}

const screeningAlert = (alertId: string, score: number, partyId = 'pty_s1'): CaseAlert => ({
  source: 'screening',
  alertId,
  partyId,
  subject: partyId,
  rule: 'ofac_sdn:123',
  typology: 'sanctions',
  score,
  priority: score >= 0.95 ? 1 : 3,
  summary: 'Name matches an SDN entry',
  raisedAt: new Date('2026-04-01T10:00:00Z'),
  transactions: [],
  counterparties: [],
  payload: {},
})

describeEachDb('cases service (integration)', (target) => {
  let h: DbHandle
  let cases: Cases
  let audit: Audit
  let publicKey = ''
  const clock = fixedClock(new Date('2026-04-01T12:00:00Z'))
  beforeAll(async () => {
    h = await openTestDb(target)
    const crypto = await createCrypto({
      db: h.db,
      clock,
      ids: systemIds,
      keyStore: localKeyStore(randomBytes(32)),
    })
    audit = createAudit({ db: h.db, clock, keys: crypto.keyring.auditKeys() })
    cases = createCases({
      db: h.db,
      clock,
      ids: systemIds,
      outbox: createOutbox(createCatalogue([...casesEvents, ...monitoringEvents, ...screeningEvents])),
      audit: { record: (tx, e) => audit.recordIn(tx, e), recordAll: (tx, es) => audit.recordAllIn(tx, es) },
      fieldCipher: crypto.fieldCipher,
      sla: { monitoring: 72, screening: 24, market: 48 },
      evidence: {
        audit,
        signer: () => {
          const keys = crypto.keyring.auditKeys()
          return {
            keyId: keys.keyId,
            publicKey: keys.publicKeyRaw,
            sign: (d) => sign(null, d, keys.signingKey),
          }
        },
      },
    })
    publicKey = crypto.keyring.auditKeys().publicKeyRaw.toString('base64')
  }, 180_000)
  afterAll(async () => {
    await audit.close()
    await h.close()
  })

  it('groups alerts into one open case per party and subject, and ignores a repeated alert', async () => {
    const tenant = freshTenant()
    const first = await cases.ingest(tenant, [
      monitoringAlert({ alertId: 'a1' }),
      monitoringAlert({ alertId: 'a2' }),
    ])
    expect(first).toEqual({ fresh: 2, casesOpened: 1, casesUpdated: 0 })
    const again = await cases.ingest(tenant, [monitoringAlert({ alertId: 'a1' })])
    expect(again.fresh).toBe(0)
    await cases.ingest(tenant, [
      monitoringAlert({ alertId: 'a3', priority: 2 }),
      monitoringAlert({ alertId: 'b1', subject: 'acc_other' }),
    ])
    const page = await cases.queue(tenant)
    expect(page.cases).toHaveLength(2)
    const main = page.cases.find((c) => c.subject === 'acc_cust')!
    expect(main.alertCount).toBe(3)
    expect(main.priority).toBe(2) // the most urgent alert wins
    // The P2 case comes first in the queue.
    expect(page.cases[0]!.caseId).toBe(main.caseId)
    const view = await cases.get(tenant, main.caseId)
    expect(view.alerts.map((a) => a.alertId)).toEqual(['a1', 'a2', 'a3'])
    expect(view.links.filter((l) => l.type === 'transaction').map((l) => l.ref)).toEqual([
      'txn_a1',
      'txn_a2',
      'txn_a3',
    ])
    expect(view.timeline.map((e) => e.action)).toContain('opened')
    const outbox = await sql<{ topic: string }>`
      SELECT topic FROM event_outbox WHERE tenant_id = ${tenant} ORDER BY topic`.execute(h.db)
    expect(outbox.rows.map((r) => r.topic)).toEqual(['cases.case.opened.v1', 'cases.case.opened.v1'])
  })

  it('deduplicates a redelivered alert event through the consumer inbox', async () => {
    const tenant = freshTenant()
    const inbox = createInbox(h.db)
    const msg: EventMessage = {
      id: 'evt_same',
      topic: 'monitoring.alert.raised.v1',
      key: 'acc_x',
      tenantId: tenant,
      payload: {
        alertId: 'mal_1',
        subject: 'acc_x',
        ruleId: 'large',
        typology: null,
        outcome: 'review',
        score: 40,
        reason: 'Large',
        txnId: 'txn_1',
        at: '2026-04-01T09:00:00Z',
        context: { txn: { src: 'acc_y', dst: 'acc_x', srcCustomer: 'cus_y', dstCustomer: 'cus_x' } },
      },
      occurredAt: new Date('2026-04-01T09:00:00Z'),
      headers: {},
      position: '1',
    }
    const effect = (tx: Parameters<Parameters<typeof inbox.apply>[2]>[0], fresh: readonly EventMessage[]) =>
      ingestMessages(cases.context, tx, fresh).then(() => undefined)
    expect(await inbox.apply('cases-test', [msg], effect)).toBe(1)
    expect(await inbox.apply('cases-test', [msg], effect)).toBe(0)
    const page = await cases.queue(tenant)
    expect(page.cases).toHaveLength(1)
    expect(page.cases[0]!.partyId).toBe('cus_x') // the customer on the alerted (destination) side
    expect(page.cases[0]!.alertCount).toBe(1)
    const view = await cases.get(tenant, page.cases[0]!.caseId)
    expect(view.links.find((l) => l.type === 'counterparty')?.ref).toBe('acc_y')
  })

  it('sets the due date from the SLA of the kind, shortened by priority', async () => {
    const tenant = freshTenant()
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'm1' }), screeningAlert('s1', 0.97)])
    const page = await cases.queue(tenant)
    const mon = page.cases.find((c) => c.kind === 'monitoring')!
    const scr = page.cases.find((c) => c.kind === 'screening')!
    expect(mon.dueAt.toISOString()).toBe('2026-04-04T12:00:00.000Z') // 72 h, P3
    expect(scr.priority).toBe(1)
    expect(scr.dueAt.toISOString()).toBe('2026-04-01T18:00:00.000Z') // 24 h × ¼ for P1
    expect(page.cases[0]!.caseId).toBe(scr.caseId)
    const overdue = await cases.queue(tenant, { overdueAt: new Date('2026-04-02T00:00:00Z') })
    expect(overdue.cases.map((c) => c.caseId)).toEqual([scr.caseId])
    expect((await cases.queue(tenant, { priority: 3 })).cases.map((c) => c.caseId)).toEqual([mon.caseId])
    expect((await cases.queue(tenant, { priority: 1 })).cases.map((c) => c.caseId)).toEqual([scr.caseId])
    expect((await cases.queue(tenant, { priority: 2 })).cases).toEqual([])
  })

  it('four eyes: a SAR closing waits for a second operator with cases:approve, never the proposer', async () => {
    const tenant = freshTenant()
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'f1' })])
    const { caseId } = (await cases.queue(tenant)).cases[0]!
    const alice = analyst('alice')
    await cases.assign(tenant, caseId, 'op_alice', alice)
    const proposed = await cases.close(tenant, caseId, { outcome: 'sar_filed', reason: 'Structuring' }, alice)
    expect(proposed.status).toBe('pending_approval')
    expect((await cases.get(tenant, caseId)).case.status).toBe('investigating')
    await expect(cases.decide(tenant, caseId, { approve: true }, alice)).rejects.toMatchObject({
      code: 'CASES_FOUR_EYES_SAME_OPERATOR',
    })
    await expect(
      cases.decide(tenant, caseId, { approve: true }, analyst('bob', ['cases:read', 'cases:write'])),
    ).rejects.toMatchObject({ code: 'CASES_APPROVER_NOT_ALLOWED' })
    await expect(
      cases.close(tenant, caseId, { outcome: 'no_issue', reason: 'changed my mind' }, alice),
    ).rejects.toMatchObject({ code: 'CASES_APPROVAL_PENDING' })
    expect((await cases.get(tenant, caseId)).case.status).toBe('investigating')
    const approved = await cases.decide(tenant, caseId, { approve: true, note: 'agreed' }, analyst('carol'))
    expect(approved).toEqual({ status: 'closed', outcome: 'sar_filed' })
    const view = await cases.get(tenant, caseId)
    expect(view.case.status).toBe('closed')
    expect(view.case.outcome).toBe('sar_filed')
    expect(view.alerts[0]!.label).toBe('sar_filed')
    expect(view.proposals[0]).toMatchObject({
      status: 'approved',
      proposedBy: 'operator:alice',
      decidedBy: 'operator:carol',
    })
    const labels = await cases.labels(tenant)
    expect(labels.map((l) => [l.alertId, l.label])).toEqual([['f1', 'sar_filed']])
    await expect(cases.comment(tenant, caseId, 'filed with FinCEN', alice)).resolves.toBeUndefined()
    await expect(cases.assign(tenant, caseId, 'op_x', alice)).rejects.toMatchObject({ code: 'CASES_CLOSED' })
    // A new alert on the same party and subject opens a new case.
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'f2' })])
    const open = (await cases.queue(tenant)).cases
    expect(open).toHaveLength(1)
    expect(open[0]!.caseId).not.toBe(caseId)
    // Every action is audited: denials included.
    await audit.flush()
    const entries = (await audit.entries(tenant, 0, 100)).map((e) => `${e.entry!.action}:${e.entry!.outcome}`)
    expect(entries).toEqual(
      expect.arrayContaining([
        'cases.case.open:success',
        'cases.case.assign:success',
        'cases.case.propose_close:success',
        'cases.case.approve:denied',
        'cases.case.approve:success',
      ]),
    )
  })

  it('clearing a strong screening match needs four eyes; a weak one closes at once', async () => {
    const tenant = freshTenant()
    await cases.ingest(tenant, [
      screeningAlert('strong', 0.93, 'pty_a'),
      screeningAlert('weak', 0.7, 'pty_b'),
    ])
    const all = (await cases.queue(tenant)).cases
    const strong = all.find((c) => c.partyId === 'pty_a')!
    const weak = all.find((c) => c.partyId === 'pty_b')!
    const alice = analyst('alice')
    const r1 = await cases.close(
      tenant,
      strong.caseId,
      { outcome: 'false_positive', reason: 'other DOB' },
      alice,
    )
    expect(r1.status).toBe('pending_approval')
    const r2 = await cases.close(
      tenant,
      weak.caseId,
      { outcome: 'false_positive', reason: 'other DOB' },
      alice,
    )
    expect(r2).toEqual({ status: 'closed', outcome: 'false_positive' })
    const rejected = await cases.decide(tenant, strong.caseId, { approve: false }, analyst('bob'))
    expect(rejected.status).toBe('rejected')
    expect((await cases.get(tenant, strong.caseId)).case.status).toBe('open')
  })

  it('moves through investigating and escalated, refusing moves the workflow does not allow', async () => {
    const tenant = freshTenant()
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'w1' })])
    const { caseId } = (await cases.queue(tenant)).cases[0]!
    const a = analyst('a')
    await cases.setStatus(tenant, caseId, 'escalated', a)
    await cases.setStatus(tenant, caseId, 'investigating', a)
    await expect(cases.setStatus(tenant, caseId, 'open', a)).rejects.toMatchObject({
      code: 'CASES_INVALID_TRANSITION',
    })
    expect((await cases.queue(tenant, { status: 'investigating' })).cases).toHaveLength(1)
    expect((await cases.queue(tenant, { status: 'open' })).cases).toHaveLength(0)
  })

  it('stores evidence attachments encrypted and returns them decrypted', async () => {
    const tenant = freshTenant()
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'e1' })])
    const { caseId } = (await cases.queue(tenant)).cases[0]!
    const content = Buffer.from('deposit slips: branch 12, 4 × $9,000')
    const meta = await cases.attach(
      tenant,
      caseId,
      { name: 'slips.txt', mediaType: 'text/plain', content },
      analyst('a'),
    )
    const stored = await sql<{ content_ct: Buffer }>`
      SELECT content_ct FROM cases_attachments WHERE tenant_id = ${tenant} AND attachment_id = ${meta.attachmentId}`.execute(
      h.db,
    )
    expect(Buffer.from(stored.rows[0]!.content_ct).includes(Buffer.from('deposit slips'))).toBe(false)
    const read = await cases.readAttachment(tenant, caseId, meta.attachmentId, analyst('b'))
    expect(read.content.equals(content)).toBe(true)
    await expect(
      cases.readAttachment(freshTenant(), caseId, meta.attachmentId, analyst('b')),
    ).rejects.toMatchObject({
      code: 'CASES_ATTACHMENT_NOT_FOUND',
    })
  })

  it('pages the queue with a cursor in priority and due-date order', async () => {
    const tenant = freshTenant()
    await cases.ingest(
      tenant,
      Array.from({ length: 7 }, (_, i) =>
        monitoringAlert({ alertId: `p${i}`, subject: `acc_${i}`, priority: ((i % 3) + 1) as 1 | 2 | 3 }),
      ),
    )
    const seen: number[] = []
    let cursor: string | undefined
    do {
      const page = await cases.queue(tenant, { limit: 3, ...(cursor ? { cursor } : {}) })
      seen.push(...page.cases.map((c) => c.priority))
      cursor = page.next
    } while (cursor)
    expect(seen).toEqual([1, 1, 1, 2, 2, 3, 3])
  })

  it('writes the SAR draft from the case facts, versions and audits every edit, exports HTML and BSA XML', async () => {
    const tenant = freshTenant()
    const deposits = [
      { id: 'txn_d1', at: '2026-03-30T09:00:00.000Z', amount: '950000' },
      { id: 'txn_d2', at: '2026-03-31T09:30:00.000Z', amount: '920000' },
    ]
    await cases.ingest(
      tenant,
      deposits.map((d, i) =>
        monitoringAlert({
          alertId: `s${i}`,
          raisedAt: new Date(d.at),
          transactions: [d.id],
          payload: {
            context: {
              txn: {
                ...d,
                currency: 'USD',
                kind: 'cash_deposit',
                src: 'cash',
                dst: 'acc_cust',
                dstCountry: 'US',
              },
            },
          },
        }),
      ),
    )
    const { caseId } = (await cases.queue(tenant)).cases[0]!
    const alice = analyst('alice')
    await cases.close(
      tenant,
      caseId,
      { outcome: 'sar_filed', reason: 'Two deposits just under $10,000 in two days' },
      alice,
    )
    await cases.decide(tenant, caseId, { approve: true }, analyst('bob'))
    const v1 = await cases.draftSar(tenant, caseId, alice)
    expect(v1.version).toBe(1)
    const d = v1.draft
    expect(d.subject).toMatchObject({ partyId: 'cus_1', accounts: ['acc_cust'] })
    expect(d.activity).toEqual({ from: '2026-03-30T09:00:00.000Z', to: '2026-03-31T09:30:00.000Z' })
    expect(d.amounts).toEqual([{ currency: 'USD', total: '1870000', formatted: '18700.00 USD', count: 2 }])
    expect(d.instruments).toEqual(['Currency'])
    expect(d.categories[0]).toMatchObject({ category: 'Structuring', typeId: 1, subtypeId: 114 })
    // Every figure in the narrative is one of the case's facts.
    expect(d.narrative.what).toContain('2 transaction(s) totalling 18700.00 USD')
    expect(d.narrative.when).toContain('between 2026-03-30 and 2026-03-31')
    expect(d.narrative.where).toContain('US')
    expect(d.narrative.why).toContain(
      'operator:alice proposed sar_filed: "Two deposits just under $10,000 in two days"',
    )
    expect(d.narrative.why).toContain('operator:bob approved sar_filed')
    expect(d.narrative.how).toContain('cash_deposit of 9500.00 USD from cash to acc_cust (txn_d1)')
    await expect(
      cases.editSar(tenant, caseId, { baseVersion: 2, changes: { subjectName: 'X' } }, alice),
    ).rejects.toMatchObject({ code: 'CASES_SAR_STALE' })
    const v2 = await cases.editSar(
      tenant,
      caseId,
      {
        baseVersion: 1,
        changes: { subjectName: 'Jane Roe', narrative: { who: 'Jane Roe, account acc_cust.' } },
      },
      analyst('bob'),
    )
    expect(v2.version).toBe(2)
    expect(v2.draft.narrative.who).toBe('Jane Roe, account acc_cust.')
    expect(v2.draft.narrative.what).toBe(d.narrative.what)
    expect((await cases.getSar(tenant, caseId, 1)).draft.subject.name).toBeNull()
    const versions = await cases.sarVersions(tenant, caseId)
    expect(versions.map((v) => [v.version, v.editedBy])).toEqual([
      [1, 'operator:alice'],
      [2, 'operator:bob'],
    ])
    await audit.flush()
    const edits = (await audit.entries(tenant, 0, 100))
      .map((e) => e.entry!)
      .filter((e) => e.action === 'cases.case.sar_edit')
    expect(edits).toHaveLength(1)
    expect(edits[0]!.details).toMatchObject({
      version: 2,
      sha256: v2.sha256,
      changed: ['narrative.who', 'subject.name'],
    })
    const html = await cases.exportSar(tenant, caseId, 'html')
    expect(html.body).toContain('Jane Roe')
    const xml = await cases.exportSar(tenant, caseId, 'xml')
    type Node = Record<string, unknown>
    const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((x, k) => (x as Node)[k], o)
    const batch = at(new XMLParser({ ignoreAttributes: false }).parse(xml.body), 'fc2:EFilingBatchXML')
    expect(at(batch, 'fc2:FormTypeCode')).toBe('SARX')
    expect(at(batch, '@_TotalAmount')).toBe('18700')
    const activity = at(batch, 'fc2:Activity')
    expect(at(activity, 'fc2:SuspiciousActivity', 'fc2:SuspiciousActivityFromDateText')).toBe(20260330)
    const subject = (at(activity, 'fc2:Party') as Node[]).find((p) => p['fc2:ActivityPartyTypeCode'] === 33)
    expect(at(subject, 'fc2:PartyName', 'fc2:RawEntityIndividualLastName')).toBe('Jane Roe')
    expect(at(activity, 'fc2:ActivityNarrativeInformation', 'fc2:NarrativeText')).toContain('WHO: Jane Roe')
  })

  it('exports a signed evidence bundle that verifies offline and fails after any one byte is edited', async () => {
    const tenant = freshTenant()
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'b1' }), monitoringAlert({ alertId: 'b2' })])
    const { caseId } = (await cases.queue(tenant)).cases[0]!
    const alice = analyst('alice')
    await cases.comment(tenant, caseId, 'looked at the deposit slips', alice)
    await cases.close(tenant, caseId, { outcome: 'true_positive', reason: 'pattern confirmed' }, alice)
    await cases.decide(tenant, caseId, { approve: true }, analyst('bob'))
    await cases.draftSar(tenant, caseId, alice)
    // Another case's entries must not be in this bundle.
    await cases.ingest(tenant, [monitoringAlert({ alertId: 'other', subject: 'acc_other' })])
    const text = await cases.evidenceBundle(tenant, caseId, alice)
    const ok = verifyEvidenceBundle(text, publicKey)
    expect(ok.problems).toEqual([])
    expect(ok).toMatchObject({ ok: true, caseId, tenant })
    const body = (JSON.parse(text) as { body: { audit: { entries: { entry: string }[] }; sar: unknown } })
      .body
    const actions = body.audit.entries.map((e) => (JSON.parse(e.entry) as { action: string }).action)
    expect(actions).toEqual([
      'cases.case.open',
      'cases.case.comment',
      'cases.case.propose_close',
      'cases.case.approve',
      'cases.case.sar_draft',
    ])
    expect(body.sar).not.toBeNull()
    expect(text).not.toContain('acc_other')
    // Another key is refused when the signer is pinned.
    expect(verifyEvidenceBundle(text, randomBytes(32).toString('base64')).ok).toBe(false)
    // One byte edited anywhere (200 positions spread over the file): refused every time.
    const bytes = Buffer.from(text)
    for (let k = 0; k < 200; k++) {
      const i = Math.floor((k * (bytes.length - 1)) / 199)
      const edited = Buffer.from(bytes)
      edited[i] = edited[i] === 0x31 ? 0x32 : 0x31 // '1' ↔ '2', else '1'
      const r = verifyEvidenceBundle(edited.toString('utf8'), publicKey)
      expect(r.ok, `byte ${i} edited`).toBe(false)
    }
  })
})
