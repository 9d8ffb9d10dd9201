import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { loggerRedaction, redactValue } from './redact.js'

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString())
      cb()
    },
  })
  return { logger: pino({ level: 'info', ...loggerRedaction() }, stream), lines }
}

describe('redaction', () => {
  it('redacts sensitive keys at any depth and masks PANs inside strings', () => {
    const out = redactValue({
      user: { email: 'ada@example.com', id: 'usr_1' },
      gateway: { clientSecret: 'sk_live_123', mode: 'live' },
      note: 'customer paid with 5555555555554444',
      list: [{ password: 'hunter2' }],
    })
    expect(out).toEqual({
      user: { email: '<redacted>', id: 'usr_1' },
      gateway: { clientSecret: '<redacted>', mode: 'live' },
      note: 'customer paid with 555555******4444',
      list: [{ password: '<redacted>' }],
    })
  })

  it('keeps secrets and PANs out of pino output: objects, messages, errors, headers', () => {
    const { logger, lines } = capture()
    logger.info(
      {
        pan: '4111111111111111',
        accessToken: 'access-sandbox-abc',
        req: { headers: { authorization: 'Bearer mk_abc' } },
      },
      'tokenized',
    )
    logger.info('charging card 4111 1111 1111 1111 now')
    logger.error({ err: new Error('gateway refused 4111111111111111') }, 'failed')
    const all = lines.join('\n')
    expect(lines).toHaveLength(3)
    expect(all).not.toMatch(/4111\s?1111\s?1111\s?1111/)
    expect(all).not.toContain('access-sandbox-abc')
    expect(all).not.toContain('mk_abc')
    expect(all).toContain('411111******1111')
    expect(all).toContain('tokenized')
  })
})
