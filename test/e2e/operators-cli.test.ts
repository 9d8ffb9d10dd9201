import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createServices, type AppServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { monetaCli } from '../support/cli.js'

/** `moneta operators …` as an admin runs it against an embedded install. */
describe('moneta operators (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moneta-operators-cli-'))
  const env = { MONETA_DATA_DIR: dir, MONETA_ARGON2_MEMORY_KIB: '1024', MONETA_ARGON2_PASSES: '1' }
  const cli = monetaCli(env)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const withApp = async <T>(fn: (s: AppServices) => Promise<T>): Promise<T> => {
    const s = await createServices(loadConfig({ ...env, MONETA_CONFIG_FILE: '' }), {
      logger: pino({ level: 'silent' }),
    })
    try {
      return await fn(s)
    } finally {
      await s.ledger.close()
      await s.audit.close() // its entries are written before the database goes away
      await s.db.close()
    }
  }

  it('creates with a generated password, lists, unlocks a locked operator and resets MFA', async () => {
    const bad = await cli('operators', 'create', '--email', 'x@example.com', '--role', 'root')
    expect(bad.code).toBe(2)

    const created = await cli('operators', 'create', '--email', 'Audit@Example.com', '--role', 'auditor')
    expect(created.code, created.err).toBe(0)
    const password = /password \(shown once\): (\S+)/.exec(created.out)?.[1]
    expect(password).toBeDefined()

    const list = await cli('operators', 'list', '--json')
    const ops = JSON.parse(list.out) as { email: string; role: string }[]
    expect(ops).toEqual([expect.objectContaining({ email: 'audit@example.com', role: 'auditor' })])

    const locked = await withApp(async (s) => {
      for (let i = 0; i < 10; i++) {
        await expect(
          s.auth.login({ email: 'audit@example.com', password: `nope-${i}` }, '192.0.2.1'),
        ).rejects.toMatchObject({
          code: 'AUTH_FAILED',
        })
      }
      await expect(
        s.auth.login({ email: 'audit@example.com', password: password! }, '192.0.2.1'),
      ).rejects.toMatchObject({ code: 'AUTH_FAILED' })
      return (await s.auth.findOperator({ email: 'audit@example.com' }))?.lockedUntil
    })
    expect(locked).toBeInstanceOf(Date)

    const unlock = await cli('operators', 'unlock', 'audit@example.com')
    expect(unlock.code, unlock.err).toBe(0)
    const session = await withApp((s) =>
      s.auth.login({ email: 'audit@example.com', password: password! }, '192.0.2.1'),
    )
    expect(session.token).toMatch(/^ses_/)

    const reset = await cli('operators', 'reset-mfa', 'audit@example.com')
    expect(reset.code, reset.err).toBe(0)
    expect(reset.out).toContain('sessions ended')
  }, 240_000)
})
