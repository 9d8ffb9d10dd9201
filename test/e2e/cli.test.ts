import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'moneta-cli-'))
const env = {
  ...process.env,
  MONETA_DATA_DIR: dir,
  DATABASE_URL: '',
  MONETA_CONFIG_FILE: '',
  LOG_LEVEL: 'silent',
}

async function moneta(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run('node', ['bin/moneta.js', ...args], { env, timeout: 60_000 })
    return { code: 0, out: r.stdout }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, out: err.stdout + err.stderr }
  }
}

describe('moneta CLI (embedded PGlite)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(
    'migrates, verifies a good ledger, then names each violation after tampering',
    { timeout: 180_000 },
    async () => {
      expect((await moneta('migrate')).code).toBe(0)
      const s = await createServices(loadConfig({ MONETA_DATA_DIR: dir, MONETA_CONFIG_FILE: '' }), {
        logger: pino({ level: 'silent' }),
      })
      await s.ledger.createAccount('ten_cli', { id: 'a', currency: 'USD', normalSide: 'debit' })
      await s.ledger.createAccount('ten_cli', { id: 'b', currency: 'USD', normalSide: 'credit' })
      await s.ledger.execute('ten_cli', [
        { op: 'create', legs: [{ source: 'a', destination: 'b', amount: 42n, currency: 'USD' }] },
      ])
      await s.ledger.close()
      await s.db.close()

      const good = await moneta('ledger', 'verify')
      expect(good).toMatchObject({ code: 0 })
      expect(good.out).toContain('ledger verify: ok')

      const s2 = await createServices(loadConfig({ MONETA_DATA_DIR: dir, MONETA_CONFIG_FILE: '' }), {
        logger: pino({ level: 'silent' }),
      })
      await sql`UPDATE ledger_accounts SET credits_posted = 43 WHERE account_id = 'b'`.execute(s2.db.db)
      await s2.db.close()
      const bad = await moneta('ledger', 'verify')
      expect(bad.code).toBe(1)
      expect(bad.out).toMatch(/VIOLATION account_balance_mismatch tenant=ten_cli ref=b/)
      expect(bad.out).toMatch(/VIOLATION currency_total_nonzero tenant=ten_cli ref=USD/)
    },
  )

  it('reports bad configuration with exit code 2 and the fix', { timeout: 60_000 }, async () => {
    const r = await run('node', ['bin/moneta.js', 'config'], { env: { ...env, PORT: 'x' } }).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect(r).toMatchObject({ code: 2 })
    expect((r as { stderr: string }).stderr).toContain('PORT must be a whole number')
  })
})
