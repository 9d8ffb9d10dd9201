import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { monetaCli } from '../support/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'moneta-cli-'))
const moneta = monetaCli({ MONETA_DATA_DIR: dir })

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
    const r = await monetaCli({ MONETA_DATA_DIR: dir, PORT: 'x' })('config')
    expect(r.code).toBe(2)
    expect(r.err).toContain('PORT must be a whole number')
  })
})
