import { PGlite } from '@electric-sql/pglite'
import { expect, it } from 'vitest'
import { errorHandler } from './errors.js'
import type { FastifyReply, FastifyRequest } from 'fastify'

// Security finding 8 (issue 15): the 500's log line carried the SQL and its unredacted parameters.
it('the log line of a 500 holds neither the statement nor its parameters', async () => {
  const db = new PGlite()
  let dbError: unknown
  try {
    await db.query('SELECT $1::bigint, $2::text AS email', [
      '99999999999999999999999',
      'victim@example.com 4111111111111111',
    ])
  } catch (e) {
    dbError = e
  }
  await db.close()
  expect(dbError).toBeInstanceOf(Error)
  // the raw error does carry them (which is why it must not be logged as it is)
  expect(JSON.stringify({ ...(dbError as object) })).toContain('victim@example.com')

  const logged: unknown[] = []
  const req = { log: { error: (obj: unknown) => logged.push(obj) } } as unknown as FastifyRequest
  let status = 0
  const reply = {
    status(s: number) {
      status = s
      return { send: () => undefined }
    },
  } as unknown as FastifyReply
  errorHandler(new Error('wrapped', { cause: dbError }), req, reply)
  errorHandler(dbError, req, reply)
  expect(status).toBe(500)
  const line = JSON.stringify(logged)
  expect(logged).toHaveLength(2)
  for (const leak of ['victim@example.com', '4111111111111111', 'SELECT', '::bigint'])
    expect(line).not.toContain(leak)
  expect(line).toContain('out of range') // still says what went wrong
}, 120_000) // a PGlite start on a loaded machine
