import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { testDbTargets } from '../support/db.js'

const SDN = [
  '7157,"ABU SAYYAF, Khalid","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 04 Apr 1962; nationality Philippines; Passport A123456 (Philippines)."',
  '306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
].join('\r\n')

interface PartyJson {
  id: string
  status: string
  names: { value: string }[]
  risk: { level: string; reasons: { factor: string }[] }
  screening: { status: string }
  version: number
}
interface ErrorJson {
  error: { code: string; message: string; details?: { holdId?: string } }
}

for (const target of testDbTargets()) {
  describe(`parties over HTTP [${target.name}]`, () => {
    let t: TestApp
    let analystKey: string
    beforeAll(async () => {
      t = await createTestApp(target)
      await t.app.services.screening.importList(t.tenantId, {
        name: 'sdn',
        files: new Map([['sdn.csv', Buffer.from(SDN)]]),
      })
      // A compliance key that may decide but not move money or onboard.
      const k = await call('POST', '/v1/api-keys', {
        name: 'analyst',
        scopes: ['screening:decide', 'screening:read'],
      })
      expect(k.statusCode).toBe(201)
      analystKey = k.json<{ key: string }>().key
    })
    afterAll(async () => t.close())

    let seq = 0
    function call(method: string, url: string, body?: unknown, opts: { key?: string; idem?: string } = {}) {
      return t.app.server.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${opts.key ?? t.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(method === 'POST' && !url.includes('/decision')
            ? { 'idempotency-key': opts.idem ?? `k-${++seq}` }
            : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      })
    }

    it('onboards a person: encrypted at rest, found by identifier and exact name, idempotent, screened', async () => {
      const body = {
        kind: 'person',
        roles: ['customer'],
        names: [{ value: 'Maria Schmidt' }, { value: 'Мария Шмидт', kind: 'transliteration' }],
        birthDate: '1985-02-11',
        nationalities: ['DE'],
        addresses: [{ lines: ['Hauptstr. 1'], city: 'Berlin', country: 'Germany' }],
        identifiers: [{ type: 'passport', value: 'C01X00T47' }],
      }
      const r = await call('POST', '/v1/parties', body, { idem: 'onboard-maria' })
      expect(r.statusCode).toBe(201)
      const created = r.json<{ party: PartyJson; screening: { hits: unknown[]; listsLoaded: number } }>()
      expect(created.party).toMatchObject({ status: 'onboarding', screening: { status: 'clear' } })
      expect(created.screening).toMatchObject({ hits: [], listsLoaded: 1 })
      const replay = await call('POST', '/v1/parties', body, { idem: 'onboard-maria' })
      expect(replay.statusCode).toBe(200)
      expect(replay.json<{ party: PartyJson }>().party.id).toBe(created.party.id)
      const conflict = await call(
        'POST',
        '/v1/parties',
        { ...body, birthDate: '1985-02-12' },
        { idem: 'onboard-maria' },
      )
      expect(conflict.json<ErrorJson>().error.code).toBe('IDEMPOTENCY_CONFLICT')
      // Nothing personal is stored in clear.
      const raw = await t.app.services.db.db
        .selectFrom('parties' as never)
        .selectAll()
        .where('party_id' as never, '=', created.party.id as never)
        .execute()
      const dump = JSON.stringify(raw, (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v,
      )
      expect(dump).not.toMatch(/Schmidt|C01X00T47|1985-02-11|Berlin/)
      const byId = await call('GET', '/v1/parties?identifier=c01x00t47')
      expect(byId.json<{ items: PartyJson[] }>().items.map((p) => p.id)).toEqual([created.party.id])
      const byName = await call('GET', `/v1/parties?name=${encodeURIComponent('MARIA SCHMIDT')}`)
      expect(byName.json<{ items: PartyJson[] }>().items.map((p) => p.id)).toEqual([created.party.id])
      const noName = await call('GET', '/v1/parties?name=Maria')
      expect(noName.json<{ items: PartyJson[] }>().items).toEqual([])
      // The state machine: exited is final, activation works from onboarding.
      const active = await call('POST', `/v1/parties/${created.party.id}/status`, {
        status: 'active',
        reason: 'KYC done',
      })
      expect(active.json<PartyJson>().status).toBe('active')
      const bad = await call('POST', `/v1/parties/${created.party.id}/status`, {
        status: 'onboarding',
        reason: 'x',
      })
      expect(bad.statusCode).toBe(409)
      expect(bad.json<ErrorJson>().error.code).toBe('PARTY_TRANSITION_INVALID')
    })

    it('rescreens on a change of name, and a possible match blocks activation', async () => {
      const r = await call('POST', '/v1/parties', {
        kind: 'person',
        roles: ['counterparty'],
        names: [{ value: 'John Smith' }],
      })
      const p = r.json<{ party: PartyJson }>().party
      const renamed = await call('PATCH', `/v1/parties/${p.id}`, {
        names: [{ value: 'Khalid Abu Sayyaf' }],
        birthDate: '1962-04-04',
      })
      expect(renamed.statusCode).toBe(200)
      const after = renamed.json<{
        party: PartyJson
        screening: { newHits: { entryKey: string; alertId?: string }[] }
      }>()
      expect(after.party.screening.status).toBe('possible_match')
      expect(after.party.risk.reasons.map((x) => x.factor)).toContain('screening')
      expect(after.screening.newHits[0]?.entryKey).toBe('7157')
      expect(after.screening.newHits[0]?.alertId).toMatch(/^sca_/)
      const act = await call('POST', `/v1/parties/${p.id}/status`, { status: 'active', reason: 'x' })
      expect(act.json<ErrorJson>().error.code).toBe('PARTY_SCREENING_UNRESOLVED')
      // A non-personal-data events trail: created, updated, screened (twice), all carrying the party id.
      const events = await t.app.services.db.db
        .selectFrom('event_outbox' as never)
        .select(['topic' as never, 'payload' as never])
        .where('partition_key' as never, '=', p.id as never)
        .execute()
      const topics = (events as { topic: string }[]).map((e) => e.topic)
      expect(topics).toEqual(
        expect.arrayContaining([
          'parties.party.created.v1',
          'parties.party.updated.v1',
          'parties.party.screened.v1',
        ]),
      )
      expect(JSON.stringify(events)).not.toMatch(/Khalid|Smith|1962/)
    })

    it('a list update rescreens parties: the new hit carries the party id and makes it a possible match', async () => {
      const p = (
        await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['customer'],
          names: [{ value: 'Ana Lima' }, { value: 'Viktor Petrovich Bout' }],
        })
      ).json<{ party: PartyJson }>().party
      expect(p.screening.status).toBe('clear')
      const sdn2 = `${SDN}\r\n9999,"BOUT, Viktor Petrovich","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- `
      const imported = await t.app.services.screening.importList(t.tenantId, {
        name: 'sdn',
        files: new Map([['sdn.csv', Buffer.from(sdn2)]]),
      })
      expect(imported.rescreen?.alertsCreated).toBeGreaterThanOrEqual(1)
      const rows = (await t.app.services.db.db
        .selectFrom('event_outbox' as never)
        .select(['payload' as never])
        .where('topic' as never, '=', 'screening.alert.created.v1' as never)
        .where('tenant_id' as never, '=', t.tenantId as never)
        .execute()) as { payload: Record<string, unknown> | string }[]
      const alerts = rows
        .map((r) =>
          typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
        )
        .filter((x) => x.partyId === p.id)
      expect(alerts).toEqual([
        expect.objectContaining({
          partyId: p.id,
          subjectId: `${p.id}:1`,
          entryKey: '9999',
          source: 'rescreen',
        }),
      ])
      // What the workers' consumer does with it (idempotent: the second delivery changes nothing).
      const a = alerts[0]!
      const alert = {
        alertId: String(a.alertId),
        partyId: p.id,
        subjectId: String(a.subjectId),
        listId: String(a.listId),
        entryKey: String(a.entryKey),
        score: Number(a.score),
      }
      expect(await t.app.services.parties.applyListHit(t.tenantId, alert)).toBe(true)
      expect(await t.app.services.parties.applyListHit(t.tenantId, alert)).toBe(false)
      const after = (await call('GET', `/v1/parties/${p.id}`)).json<PartyJson>()
      expect(after).toMatchObject({ screening: { status: 'possible_match' }, risk: { level: 'high' } })
      const screened = (await t.app.services.db.db
        .selectFrom('event_outbox' as never)
        .select(['payload' as never])
        .where('topic' as never, '=', 'parties.party.screened.v1' as never)
        .where('partition_key' as never, '=', p.id as never)
        // Heap order is not insertion order once vacuum frees space: the newest row is the highest seq.
        .orderBy('seq' as never)
        .execute()) as { payload: Record<string, unknown> | string }[]
      const last = screened
        .map((r) =>
          typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
        )
        .at(-1)
      expect(last).toMatchObject({
        trigger: 'list_update',
        newHits: [{ entryKey: '9999', alertId: alert.alertId }],
      })
    })

    it("holds a sanctioned counterparty's payout until a decision, then releases or rejects it", async () => {
      const payer = (
        await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['customer'],
          names: [{ value: 'Paula Payer' }],
        })
      ).json<{ party: PartyJson }>().party
      const pay = await call('POST', '/v1/payments', {
        amount: '50000',
        currency: 'USD',
        paymentMethod: 'pm_card_visa',
        partyId: payer.id,
      })
      expect(pay.statusCode).toBe(201)
      const payerLinks = await call('GET', `/v1/parties/${payer.id}/links`)
      expect(
        payerLinks.json<{ items: { objectKind: string; objectId: string; role: string }[] }>().items,
      ).toEqual([
        {
          objectKind: 'payment',
          objectId: pay.json<{ id: string }>().id,
          role: 'customer',
          createdAt: expect.any(String) as unknown,
        },
      ])
      const cp = (
        await call('POST', '/v1/parties', {
          kind: 'organisation',
          roles: ['counterparty'],
          names: [{ value: 'Banco Nacional de Cuba' }],
          country: 'CU',
        })
      ).json<{ party: PartyJson }>().party
      expect(cp.screening.status).toBe('possible_match')
      const held = await call(
        'POST',
        '/v1/payouts',
        { amount: '1000', currency: 'USD', partyId: cp.id },
        { idem: 'po-1' },
      )
      expect(held.statusCode).toBe(409)
      const err = held.json<ErrorJson>()
      expect(err.error.code).toBe('SCREENING_REVIEW_REQUIRED')
      const holdId = err.error.details!.holdId!
      // A retry with the same key stays held; the operator's key may not decide.
      const retry = await call(
        'POST',
        '/v1/payouts',
        { amount: '1000', currency: 'USD', partyId: cp.id },
        { idem: 'po-1' },
      )
      expect(retry.json<ErrorJson>().error.details?.holdId).toBe(holdId)
      const list = await call('GET', '/v1/screening/holds?status=held', undefined, { key: analystKey })
      expect(list.json<{ items: { id: string }[] }>().items.map((h) => h.id)).toContain(holdId)
      // Released by the analyst key: recorded under that key, the payout happens once.
      const rel = await call(
        'POST',
        `/v1/screening/holds/${holdId}/decision`,
        { decision: 'release', reason: 'state bank, licence OFAC-2026-1' },
        { key: analystKey },
      )
      expect(rel.statusCode).toBe(200)
      const decided = rel.json<{ hold: { status: string; decidedBy: string; resultId: string } }>()
      expect(decided.hold.status).toBe('released')
      expect(decided.hold.decidedBy).toMatch(/^apikey:/)
      const again = await call(
        'POST',
        '/v1/payouts',
        { amount: '1000', currency: 'USD', partyId: cp.id },
        { idem: 'po-1' },
      )
      expect(again.statusCode).toBe(201)
      expect(again.json<{ id: string; status: string }>()).toMatchObject({
        id: decided.hold.resultId,
        status: 'paid',
      })
      const twice = await call(
        'POST',
        `/v1/screening/holds/${holdId}/decision`,
        { decision: 'reject', reason: 'x' },
        { key: analystKey },
      )
      expect(twice.json<ErrorJson>().error.code).toBe('SCREENING_HOLD_DECIDED')
      await t.app.services.audit.flush()
      const audit = (await t.app.services.audit.entries(t.tenantId, 0, 10_000)).map((e) => e.entry)
      expect(audit).toContainEqual(
        expect.objectContaining({
          action: 'parties.hold.release',
          resource: holdId,
          actor: decided.hold.decidedBy,
        }),
      )

      // Another counterparty: rejected, nothing moves, and a retry is told so.
      const cp2 = (
        await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['counterparty'],
          names: [{ value: 'Khalid Abu Sayyaf' }],
        })
      ).json<{ party: PartyJson }>().party
      const held2 = await call(
        'POST',
        '/v1/payouts',
        { amount: '700', currency: 'USD', partyId: cp2.id },
        { idem: 'po-2' },
      )
      const hold2 = held2.json<ErrorJson>().error.details!.holdId!
      const rej = await call(
        'POST',
        `/v1/screening/holds/${hold2}/decision`,
        { decision: 'reject', reason: 'listed SDGT', confirmMatch: true },
        { key: analystKey },
      )
      expect(rej.json<{ hold: { status: string; resultId: null } }>().hold).toMatchObject({
        status: 'rejected',
        resultId: null,
      })
      const retry2 = await call(
        'POST',
        '/v1/payouts',
        { amount: '700', currency: 'USD', partyId: cp2.id },
        { idem: 'po-2' },
      )
      expect(retry2.json<ErrorJson>().error.code).toBe('SCREENING_HOLD_REJECTED')
      const p2 = await call('GET', `/v1/parties/${cp2.id}`)
      expect(p2.json<PartyJson>()).toMatchObject({
        screening: { status: 'confirmed_match' },
        risk: { level: 'prohibited' },
      })
    })

    it('ledger accounts and bank items reference the party that owns them; an unknown party is refused first', async () => {
      const owner = (
        await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['customer'],
          names: [{ value: 'Ingrid Olsen' }],
          nationalities: ['NO'],
        })
      ).json<{ party: PartyJson }>().party
      const acc = await call('POST', '/v1/accounts', {
        id: 'acc_ingrid_wallet',
        currency: 'EUR',
        normalSide: 'credit',
        partyId: owner.id,
      })
      expect(acc.statusCode).toBe(201)
      expect(acc.json()).toMatchObject({ id: 'acc_ingrid_wallet', partyId: owner.id })
      const lt = await call('POST', '/v1/banking/link-tokens', {
        customerId: 'cus_ingrid',
        customerName: 'Ingrid Olsen',
      })
      expect(lt.statusCode).toBe(201)
      const item = await call('POST', '/v1/banking/items', {
        linkToken: lt.json<{ linkToken: string }>().linkToken,
        publicToken: 'public-sandbox-',
        partyId: owner.id,
      })
      expect(item.statusCode).toBe(201)
      const links = (await call('GET', `/v1/parties/${owner.id}/links`)).json<{
        items: { objectKind: string; objectId: string; role: string }[]
      }>().items
      expect(links.map((l) => [l.objectKind, l.objectId, l.role]).sort()).toEqual(
        [
          ['bank_item', item.json<{ id: string }>().id, 'owner'],
          ['ledger_account', 'acc_ingrid_wallet', 'owner'],
        ].sort(),
      )
      // Checked before anything is created: no account is left behind by a bad reference.
      const ghost = 'pty_' + '0'.repeat(32)
      const refused = await call('POST', '/v1/accounts', {
        id: 'acc_ghost',
        currency: 'EUR',
        normalSide: 'credit',
        partyId: ghost,
      })
      expect(refused.statusCode).toBe(404)
      expect((await call('GET', '/v1/accounts/acc_ghost')).statusCode).toBe(404)
    })

    it('keeps tenants apart and answers bad input with documented 4xx codes', async () => {
      const other = await t.newTenant()
      const mine = (
        await call('POST', '/v1/parties', {
          kind: 'person',
          roles: ['customer'],
          names: [{ value: 'Ana Lima' }],
        })
      ).json<{ party: PartyJson }>().party
      const theirs = await call('GET', `/v1/parties/${mine.id}`, undefined, { key: other.apiKey })
      expect(theirs.statusCode).toBe(404)
      const cases: [string, string, unknown, number, string][] = [
        ['POST', '/v1/parties', { kind: 'person', roles: ['customer'], names: [] }, 400, 'VALIDATION_ERROR'],
        [
          'POST',
          '/v1/parties',
          { kind: 'person', roles: ['customer'], names: [{ value: 'A B' }], birthDate: '2999-01-01' },
          400,
          'PARTY_INVALID',
        ],
        [
          'POST',
          '/v1/parties',
          { kind: 'person', roles: ['customer'], names: [{ value: 'A B' }], country: 'Atlantis' },
          400,
          'PARTY_INVALID',
        ],
        [
          'POST',
          '/v1/parties',
          {
            kind: 'organisation',
            roles: ['customer'],
            names: [{ value: 'X Ltd' }],
            identifiers: [{ type: 'lei', value: '5493001KJTIIGC8Y1R11' }],
          },
          400,
          'PARTY_IDENTIFIER_INVALID',
        ],
        ['GET', '/v1/parties/pty_00000000000000000000000000000000', undefined, 404, 'PARTY_NOT_FOUND'],
        [
          'POST',
          '/v1/payouts',
          { amount: '1', currency: 'USD', partyId: 'pty_00000000000000000000000000000000' },
          404,
          'PARTY_NOT_FOUND',
        ],
      ]
      for (const [method, url, body, status, code] of cases) {
        const r = await call(method, url, body)
        expect({ url, body, status: r.statusCode, code: r.json<ErrorJson>().error.code }).toEqual({
          url,
          body,
          status,
          code,
        })
      }
      // A value outside a fixed set names the values allowed, not "must be equal to constant".
      const spelt = await call('POST', '/v1/parties', {
        kind: 'organization',
        roles: ['customer'],
        names: [{ value: 'X Ltd' }],
      })
      expect(spelt.statusCode).toBe(400)
      expect(spelt.json<ErrorJson>().error.message).toBe('body.kind must be one of: person, organisation')
      // The operator role's permissions do not include deciding.
      const op = await call('POST', '/v1/api-keys', { name: 'ops', scopes: [], role: 'operator' })
      const opKey = op.json<{ key: string }>().key
      const denied = await call(
        'POST',
        `/v1/parties/${mine.id}/decisions`,
        { listId: 'un', entryKey: '1', decision: 'not_a_match', reason: 'x' },
        { key: opKey },
      )
      expect(denied.statusCode).toBe(403)
    })
  })
}
