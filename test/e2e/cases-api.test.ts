import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyEvidenceBundle } from '../../src/modules/cases/index.js'
import { typologyRules } from '../../src/modules/monitoring/index.js'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

/**
 * The loop over HTTP: a planted structuring pattern → monitoring alert → (outbox, bus, consumer inbox)
 * → a case; an analyst proposes closing it as SAR filed with a SAR draft; a second analyst approves;
 * the evidence bundle verifies offline, and not after one byte is edited.
 */
for (const target of testDbTargets()) {
  describe(`cases over HTTP [${target.name}]`, () => {
    let t: TestApp
    let url: string
    beforeAll(async () => {
      t = await createTestApp(target, { ownDatabase: true })
      t.app.startWorkers()
      url = await t.app.server.listen({ port: 0, host: '127.0.0.1' })
    }, 180_000)
    afterAll(async () => t.close())

    const call = async (key: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, text, json: json as Record<string, unknown> }
    }

    it(
      'structuring → case → SAR proposed by one analyst, approved by another → bundle verifies',
      { timeout: 120_000 },
      async () => {
        const admin = t.apiKey
        const keyFor = async (name: string) => {
          const r = await call(admin, 'POST', '/v1/api-keys', { name, scopes: [], role: 'analyst' })
          expect(r.status).toBe(201)
          return { key: String(r.json.key), id: String(r.json.id) }
        }
        const alice = await keyFor('alice')
        const bob = await keyFor('bob')
        const structuring = typologyRules().filter((r) => r.typology === 'structuring')
        const rs = await call(admin, 'POST', '/v1/monitoring/rule-sets', { rules: structuring })
        expect(rs.status).toBe(201)
        expect(
          (await call(admin, 'POST', `/v1/monitoring/rule-sets/${String(rs.json.version)}/activate`)).status,
        ).toBe(200)
        // Jane holds a personal account (the structuring rules watch individuals' accounts).
        const kyc = await call(admin, 'PUT', '/v1/monitoring/parties', {
          parties: [
            {
              id: 'acc_jane',
              segment: 'individual',
              country: 'US',
              risk: 'low',
              openedAt: '2025-01-01T00:00:00Z',
            },
          ],
        })
        expect(kyc.status).toBe(200)
        // Three cash deposits just under the $10,000 threshold, a day apart.
        const base = Date.parse('2026-03-02T10:00:00Z')
        for (const [i, amount] of ['950000', '920000', '980000'].entries()) {
          const r = await call(admin, 'POST', '/v1/monitoring/evaluate', {
            id: `txn_dep${i}`,
            at: new Date(base + i * 86_400_000).toISOString(),
            amount,
            currency: 'USD',
            kind: 'cash_deposit',
            src: 'cash',
            dst: 'acc_jane',
            dstCustomer: 'cus_jane',
          })
          expect(r.status).toBe(200)
        }
        let caseId: string | undefined
        for (let i = 0; i < 200 && !caseId; i++) {
          const q = await call(alice.key, 'GET', '/v1/cases')
          caseId = (q.json.cases as { caseId: string }[] | undefined)?.[0]?.caseId
          if (!caseId) await new Promise((r) => setTimeout(r, 100))
        }
        expect(caseId).toBeDefined()
        const byPriority = async (p: string) =>
          (await call(alice.key, 'GET', `/v1/cases?priority=${p}`)).json.cases as { caseId: string }[]
        const priority = (
          (await call(alice.key, 'GET', '/v1/cases')).json.cases as { priority: number }[]
        )[0]!.priority
        expect((await byPriority(String(priority))).map((c) => c.caseId)).toContain(caseId)
        expect(
          (await byPriority(String(priority === 4 ? 1 : priority + 1))).map((c) => c.caseId),
        ).not.toContain(caseId)
        const badPriority = await call(alice.key, 'GET', '/v1/cases?priority=5')
        expect(badPriority.status).toBe(400)
        const view = await call(alice.key, 'GET', `/v1/cases/${caseId}`)
        expect(view.json.case).toMatchObject({ partyId: 'cus_jane', subject: 'acc_jane', kind: 'monitoring' })
        expect((view.json.alerts as { typology: string }[])[0]!.typology).toBe('structuring')

        expect(
          (await call(alice.key, 'POST', `/v1/cases/${caseId}/assign`, { assignee: 'alice' })).status,
        ).toBe(200)
        const proposed = await call(alice.key, 'POST', `/v1/cases/${caseId}/close`, {
          outcome: 'sar_filed',
          reason: 'Cash deposits just below the reporting threshold on consecutive days',
        })
        expect(proposed.status).toBe(202)
        const sar = await call(alice.key, 'POST', `/v1/cases/${caseId}/sar`)
        expect(sar.status).toBe(201)
        const narrative = (sar.json.draft as { narrative: { what: string } }).narrative.what
        expect(narrative).toContain('USD')
        const xml = await call(alice.key, 'GET', `/v1/cases/${caseId}/sar?format=xml`)
        expect(xml.text).toContain('<fc2:FormTypeCode>SARX</fc2:FormTypeCode>')

        const self = await call(alice.key, 'POST', `/v1/cases/${caseId}/approve`, { decision: 'approve' })
        expect(self.status).toBe(403)
        expect((self.json.error as { code: string }).code).toBe('CASES_FOUR_EYES_SAME_OPERATOR')
        const approved = await call(bob.key, 'POST', `/v1/cases/${caseId}/approve`, { decision: 'approve' })
        expect(approved.status).toBe(200)
        expect(approved.json).toEqual({ status: 'closed', outcome: 'sar_filed' })

        const bundle = await call(alice.key, 'GET', `/v1/cases/${caseId}/evidence`)
        expect(bundle.status).toBe(200)
        const cp = await call(admin, 'GET', '/v1/audit/checkpoint')
        const check = verifyEvidenceBundle(bundle.text, String(cp.json.publicKey))
        expect(check.problems).toEqual([])
        expect(check.entries).toBeGreaterThanOrEqual(4)
        const edited = bundle.text.replace('sar_filed', 'sar_filet')
        expect(verifyEvidenceBundle(edited, String(cp.json.publicKey)).ok).toBe(false)
        // Another tenant sees none of it.
        const other = await t.newTenant()
        expect((await call(other.apiKey, 'GET', `/v1/cases/${caseId}`)).status).toBe(404)
        expect((await call(other.apiKey, 'GET', `/v1/cases/${caseId}/evidence`)).status).toBe(404)
      },
    )
  })
}
