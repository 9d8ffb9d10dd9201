import { expect, it } from 'vitest'
import { fixedClock } from '../../../../shared/clock.js'
import { KEY_LOOKUPS_PER_MINUTE, createPlaidWebhookVerifier } from './webhook.js'

// Security finding 8 (issue 15): every forged webhook with a made-up kid cost a Plaid API call.

const token = (kid: string) =>
  `${Buffer.from(JSON.stringify({ alg: 'ES256', kid })).toString('base64url')}.e30.c2ln`

it('unknown kids are remembered and lookups of new kids are limited per minute', async () => {
  const clock = fixedClock(new Date('2026-06-01T00:00:00Z'))
  let fetches = 0
  const verify = createPlaidWebhookVerifier({
    now: () => clock.now(),
    fetchKey: () => {
      fetches++
      return Promise.reject(
        Object.assign(new Error('no such key'), { vendorCode: 'INVALID_WEBHOOK_VERIFICATION_KEY_ID' }),
      )
    },
  })
  const send = (kid: string) =>
    verify(Buffer.from('{}'), { 'plaid-verification': token(kid) }).then(
      () => 'accepted',
      (e: { code?: string }) => e.code,
    )
  // the same unknown kid 50 times: one lookup
  for (let i = 0; i < 50; i++) expect(await send('forged-kid')).toBe('BANK_WEBHOOK_INVALID')
  expect(fetches).toBe(1)
  // 200 different made-up kids in one minute: at most the budget, the rest refused without a call
  const codes = new Set<string | undefined>()
  for (let i = 0; i < 200; i++) codes.add(await send(`kid-${i}`))
  expect(fetches).toBe(KEY_LOOKUPS_PER_MINUTE)
  expect(codes).toEqual(new Set(['BANK_WEBHOOK_INVALID', 'BANK_PROVIDER_UNAVAILABLE']))
  // a malformed kid is refused without a call; the budget refills after a minute
  expect(await send('../../etc')).toBe('BANK_WEBHOOK_INVALID')
  clock.advance(60_000)
  expect(await send('fresh-kid')).toBe('BANK_WEBHOOK_INVALID')
  expect(fetches).toBe(KEY_LOOKUPS_PER_MINUTE + 1)
})
