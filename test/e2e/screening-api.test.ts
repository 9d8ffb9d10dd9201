import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

const SDN = [
  '7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 04 Apr 1962; nationality Philippines; Passport A123456 (Philippines); Digital Currency Address - XBT 1BoatSLRHtKNngkdXEeobR76b53LETtpyT."',
  '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
].join('\r\n')

for (const target of testDbTargets()) {
  describe(`screening over HTTP [${target.name}]`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = await createTestApp(target)
      await t.app.services.screening.importList(t.tenantId, {
        name: 'sdn',
        files: new Map([['sdn.csv', Buffer.from(SDN)]]),
      })
    })
    afterAll(async () => t.close())

    const post = (url: string, body: unknown, key?: string) =>
      t.app.server.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${key ?? t.apiKey}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      })

    it('screens a person with an explanation, and an entity with its legal form', async () => {
      const r = await post('/v1/screening/check', {
        name: 'Khaled Abu Sayyaf',
        type: 'person',
        dob: '1962-04-04',
        countries: ['PH'],
      })
      expect(r.statusCode).toBe(200)
      const body = r.json<{
        hits: { entryKey: string; score: number; explanation: { summary: string; attributes: unknown[] } }[]
      }>()
      expect(body.hits[0]).toMatchObject({ entryKey: '7157' })
      expect(body.hits[0]!.explanation.summary).toMatch(/khaled≈khalid/)
      expect(body.hits[0]!.explanation.attributes).toHaveLength(2)
      // Empty optional values (as CSV-driven callers send them) mean "unknown", not an error.
      const blanks = await post('/v1/screening/check', {
        name: 'Khalid Abu Sayyaf',
        dob: '',
        countries: [''],
      })
      expect(blanks.statusCode).toBe(200)
      expect(blanks.json<{ hits: { entryKey: string }[] }>().hits[0]?.entryKey).toBe('7157')
      const ent = await post('/v1/screening/check', { name: 'Banco Nacional de Cuba, S.A.', type: 'entity' })
      expect(ent.json<{ hits: { entryKey: string }[] }>().hits[0]?.entryKey).toBe('306')
    })

    it('matches passport numbers and crypto addresses exactly', async () => {
      const byId = await post('/v1/screening/check', { name: 'unrelated', identifiers: ['a123456'] })
      expect(byId.json<{ hits: { entryKey: string; score: number }[] }>().hits[0]).toMatchObject({
        entryKey: '7157',
        score: 1,
      })
      const byAddr = await post('/v1/screening/check', {
        name: 'wallet',
        cryptoAddresses: ['1BoatSLRHtKNngkdXEeobR76b53LETtpyT'],
      })
      expect(byAddr.json<{ hits: { entryKey: string }[] }>().hits[0]?.entryKey).toBe('7157')
    })

    it('screens a batch, records a decision that suppresses the pair, and lists alerts and snapshots', async () => {
      const batch = await post('/v1/screening/check/batch', {
        queries: [
          { name: 'Khalid Abu Sayyaf', subjectId: 'cus_9' },
          { name: 'Jane Roe', subjectId: 'cus_10' },
        ],
      })
      expect(batch.statusCode).toBe(200)
      const results = batch.json<{ results: { hits: unknown[]; alertsCreated: number }[] }>().results
      expect(results.map((x) => [x.hits.length, x.alertsCreated])).toEqual([
        [1, 1],
        [0, 0],
      ])
      const d = await post('/v1/screening/decisions', {
        subjectId: 'cus_9',
        listId: 'ofac_sdn',
        entryKey: '7157',
        decision: 'not_a_match',
        reason: 'customer born 1990, different person',
      })
      expect(d.statusCode).toBe(201)
      // Issue 15 finding 6: the decision is the authenticated key's, in the screening trail and the audit log;
      // a name typed by the caller is refused.
      const typed = await post('/v1/screening/decisions', {
        subjectId: 'cus_9',
        listId: 'ofac_sdn',
        entryKey: '7157',
        decision: 'not_a_match',
        analyst: 'someone-else@example.com',
        reason: 'r',
      })
      expect(typed.statusCode).toBe(400)
      const trail = await t.app.services.screening.auditTrail(t.tenantId, 'cus_9')
      const decided = trail.find((x) => String(x.action).startsWith('decision.'))
      expect(String(decided?.actor)).toMatch(/^apikey:/)
      await t.app.services.audit.flush()
      const logged = (await t.app.services.audit.entries(t.tenantId, 0, 1000)).map((e) => e.entry)
      expect(logged).toContainEqual(
        expect.objectContaining({
          action: 'screening.decision.not_a_match',
          actor: decided?.actor,
          resource: d.json<{ decisionId: string }>().decisionId,
        }),
      )
      const again = await post('/v1/screening/check', { name: 'Khalid Abu Sayyaf', subjectId: 'cus_9' })
      expect(again.json()).toMatchObject({
        hits: [],
        suppressed: [{ entryKey: '7157', suppressedBy: 'not_a_match' }],
      })
      const alerts = await t.app.server.inject({
        url: '/v1/screening/alerts?subjectId=cus_9',
        headers: { authorization: `Bearer ${t.apiKey}` },
      })
      expect(alerts.json<{ alerts: { entryKey: string; source: string }[] }>().alerts).toEqual([
        expect.objectContaining({ entryKey: '7157', source: 'screen', status: 'open' }),
      ])
      const lists = await t.app.server.inject({
        url: '/v1/screening/lists',
        headers: { authorization: `Bearer ${t.apiKey}` },
      })
      expect(lists.json<{ lists: { listId: string; entryCount: number }[] }>().lists).toEqual([
        expect.objectContaining({ listId: 'ofac_sdn', entryCount: 2 }),
      ])
    })

    it('answers bad input with a 4xx and a stable code, never a 500', async () => {
      const cases: [string, unknown, number, string][] = [
        ['/v1/screening/check', {}, 400, 'VALIDATION_ERROR'],
        ['/v1/screening/check', { name: 'x', extra: 1 }, 400, 'VALIDATION_ERROR'],
        ['/v1/screening/check', { name: 'x', dob: '31/12/1990' }, 400, 'VALIDATION_ERROR'],
        ['/v1/screening/check', { name: '...' }, 400, 'SCREENING_NAME_REQUIRED'],
        ['/v1/screening/check', { name: 'x', threshold: 2 }, 400, 'VALIDATION_ERROR'],
        ['/v1/screening/check/batch', { queries: [] }, 400, 'VALIDATION_ERROR'],
        [
          '/v1/screening/decisions',
          {
            subjectId: 'nobody',
            listId: 'ofac_sdn',
            entryKey: '1',
            decision: 'not_a_match',
            reason: 'r',
          },
          404,
          'SCREENING_SUBJECT_NOT_FOUND',
        ],
        [
          '/v1/screening/decisions',
          {
            subjectId: 'cus_9',
            listId: 'mars',
            entryKey: '1',
            decision: 'not_a_match',
            reason: 'r',
          },
          400,
          'VALIDATION_ERROR',
        ],
      ]
      for (const [url, body, status, code] of cases) {
        const r = await post(url, body)
        expect({ url, body, status: r.statusCode }).toEqual({ url, body, status })
        expect(r.json<{ error: { code: string } }>().error.code).toBe(code)
      }
      const unauth = await post('/v1/screening/check', { name: 'x' }, 'wrong-key')
      expect(unauth.statusCode).toBe(401)
    })

    it('keeps tenants apart', async () => {
      const other = await t.newTenant()
      const r = await post('/v1/screening/check', { name: 'Khalid Abu Sayyaf' }, other.apiKey)
      expect(r.json()).toMatchObject({ hits: [], listsLoaded: 0 })
    })
  })
}
