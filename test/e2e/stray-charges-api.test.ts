/**
 * POST /v1/stray-charges/:id/resolve over HTTP: a stray charge whose reversal failed is marked reversed
 * by hand, once, with an audit entry naming the key that did it; bad input is a coded 400, another
 * tenant's charge a 404 (no existence oracle), a pending one a 409, and a read-only key is refused.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../support/app.js'
import { describeEachDb } from '../support/db.js'
import { makeStrayCharge } from '../support/stray-charges.js'

interface StrayJson {
  id: string
  status: string
  reversal: string | null
  reversalRef: string | null
  reversalFee: string | null
  resolvedBy: string | null
  note: string | null
}

describeEachDb('stray charges resolved by hand over HTTP', (target) => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp(target)
  })
  afterAll(async () => {
    await t.close()
  })

  const call = (method: 'GET' | 'POST', url: string, body?: unknown, apiKey = t.apiKey) =>
    t.app.server.inject({
      method,
      url,
      headers: { authorization: `Bearer ${apiKey}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    })
  const straysOf = async (paymentId: string) =>
    (await call('GET', `/v1/payments/${paymentId}/stray-charges`)).json<{ items: StrayJson[] }>().items

  it('marks a failed one reversed once, audited; refuses bad input, pending ones, other tenants and readers', async () => {
    const failed = await makeStrayCharge(t, 1_200n, true)
    const pending = await makeStrayCharge(t, 800n, false)
    // Only the failed one is swept for now: the pending one stays the sweeper's work.
    await t.app.services.payments.sweeper.sweep({ tenants: [t.tenantId] })
    const [stray] = await straysOf(failed.paymentId)
    expect(stray).toMatchObject({ status: 'failed', resolvedBy: null })
    const url = `/v1/stray-charges/${stray!.id}/resolve`
    const body = {
      reversal: 'refunded',
      reversalRef: failed.refundedByHand,
      note: 'refunded in the dashboard',
    }

    const code = async (r: Promise<{ statusCode: number; json: <T>() => T }>) => {
      const res = await r
      return [res.statusCode, res.json<{ error?: { code: string } }>().error?.code]
    }
    expect(await code(call('POST', url, { ...body, note: '' }))).toEqual([400, 'INVALID_NOTE'])
    expect(await code(call('POST', url, { reversal: 'refunded', note: 'x' }))).toEqual([
      400,
      'INVALID_REVERSAL_REF',
    ])
    expect((await call('POST', url, { ...body, reversal: 'written_off' })).statusCode).toBe(400)
    expect((await call('POST', url, { ...body, extra: 1 })).statusCode).toBe(400)
    // A fee is minor units, at most the charge, and only with a refund.
    expect((await call('POST', url, { ...body, fee: '0.45' })).statusCode).toBe(400)
    expect(await code(call('POST', url, { ...body, fee: '1201' }))).toEqual([400, 'INVALID_FEE'])
    expect(
      await code(call('POST', url, { reversal: 'canceled', reversalRef: 'x', note: 'voided', fee: '0' })),
    ).toEqual([400, 'INVALID_FEE'])
    const other = await t.newTenant()
    expect(await code(call('POST', url, body, other.apiKey))).toEqual([404, 'STRAY_CHARGE_NOT_FOUND'])
    const reader = await t.app.services.platform.createApiKey(t.tenantId, { scopes: ['payments:read'] })
    expect((await call('POST', url, body, reader)).statusCode).toBe(403)
    expect((await straysOf(failed.paymentId))[0]).toMatchObject({ status: 'failed' })

    const ok = await call('POST', url, { ...body, fee: '36' })
    expect(ok.statusCode).toBe(200)
    expect(ok.json<StrayJson>()).toMatchObject({
      id: stray!.id,
      status: 'reversed',
      reversal: 'refunded',
      reversalRef: failed.refundedByHand,
      reversalFee: '36',
      note: 'refunded in the dashboard',
    })
    expect(ok.json<StrayJson>().resolvedBy).toMatch(/^apikey:/)
    expect(await code(call('POST', url, body))).toEqual([409, 'STRAY_CHARGE_NOT_FAILED'])
    const failedList = await call('GET', '/v1/stray-charges?status=failed')
    expect(failedList.json<{ items: unknown[] }>().items).toEqual([])

    const [notYet] = await straysOf(pending.paymentId)
    expect(notYet!.status).not.toBe('failed')
    if (notYet!.status === 'pending')
      expect(await code(call('POST', `/v1/stray-charges/${notYet!.id}/resolve`, body))).toEqual([
        409,
        'STRAY_CHARGE_NOT_FAILED',
      ])

    // The resolution is in the audit log, for the key that made it.
    await t.app.services.audit.flush()
    const entries = (await t.app.services.audit.entries(t.tenantId, 0, 10_000))
      .map((e) => e.entry)
      .filter((e) => e?.action === 'payments.stray_charge.resolved')
    expect(entries.map((e) => e?.actor)).toEqual([ok.json<StrayJson>().resolvedBy])
    expect((await t.app.services.ledger.verify(t.tenantId)).ok).toBe(true)
  })
})
