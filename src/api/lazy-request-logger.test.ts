import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { lazyChildLogger } from './lazy-request-logger.js'

const capture = () => {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    },
  })
  return { lines, parent: pino({ level: 'info' }, stream) }
}

describe('lazy request logger', () => {
  it('makes no pino child until a line is written, then writes it with the request bindings', async () => {
    const { lines, parent } = capture()
    let children = 0
    const child = parent.child.bind(parent)
    parent.child = (b, o) => (children++, child(b, o))
    const log = lazyChildLogger(parent, { reqId: 'req-7' }, {})
    expect(children).toBe(0)
    expect(log.level).toBe('info')
    log.debug('below the level')
    log.error({ code: 'X' }, 'refused %s', 'twice')
    log.warn('plain')
    await new Promise((r) => setImmediate(r))
    expect(children).toBe(1)
    expect(lines.map((l) => [l.reqId, l.msg, l.code])).toEqual([
      ['req-7', 'refused twice', 'X'],
      ['req-7', 'plain', undefined],
    ])
  })

  it('keeps a level of its own for the route', () => {
    const { parent } = capture()
    const log = lazyChildLogger(parent, { reqId: 'r' }, { level: 'warn' })
    expect(log.level).toBe('warn')
    log.level = 'error'
    expect(log.level).toBe('error')
    expect(parent.level).toBe('info')
  })
})
