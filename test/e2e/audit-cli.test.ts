import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import pino from 'pino'
import { afterAll, describe, expect, it } from 'vitest'
import { createServices } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { connect } from '../../src/shared/db/connect.js'

const run = promisify(execFile)

/** The CLI as an operator runs it, against an embedded database tampered with directly in SQL. */
describe('moneta audit verify / export (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'moneta-audit-cli-'))
  const env = {
    ...process.env,
    MONETA_DATA_DIR: dir,
    MONETA_CONFIG_FILE: '',
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
    MONETA_MASTER_KEY: '',
    MONETA_MASTER_KEY_FILE: '',
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const cli = async (...args: string[]): Promise<{ code: number; stdout: string }> => {
    try {
      const r = await run('node', ['bin/moneta.js', ...args], { env, timeout: 60_000 })
      return { code: 0, stdout: r.stdout }
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string }
      return { code: err.code, stdout: err.stdout + err.stderr }
    }
  }

  it('names edited, deleted and swapped rows and exits 1; exports a verifiable file', async () => {
    const s = await createServices(loadConfig({ MONETA_DATA_DIR: dir, MONETA_CONFIG_FILE: '' }), {
      logger: pino({ level: 'silent' }),
    })
    for (let i = 0; i < 30; i++) {
      void s.audit.record({
        tenant: 'ten_cli',
        actor: 'operator:op_1',
        action: 'cases.case.decide',
        resource: `case_${i}`,
        outcome: 'success',
        origin: '198.51.100.4',
      })
    }
    await s.audit.flush()
    expect((await s.audit.verify('ten_cli')).ok).toBe(true)
    await s.ledger.close()
    await s.db.close()

    const h = await connect({ dataDir: dir })
    await sql`UPDATE audit_entries SET entry = replace(entry, 'case_4"', 'case_X"') WHERE tenant_id = 'ten_cli' AND seq = 4`.execute(
      h.db,
    )
    await sql`DELETE FROM audit_entries WHERE tenant_id = 'ten_cli' AND seq = 12`.execute(h.db)
    await sql`UPDATE audit_entries SET seq = -1 WHERE tenant_id = 'ten_cli' AND seq = 20`.execute(h.db)
    await sql`UPDATE audit_entries SET seq = 20 WHERE tenant_id = 'ten_cli' AND seq = 21`.execute(h.db)
    await sql`UPDATE audit_entries SET seq = 21 WHERE tenant_id = 'ten_cli' AND seq = -1`.execute(h.db)
    await h.close()

    const r = await cli('audit', 'verify', '--tenant', 'ten_cli', '--json')
    expect(r.code).toBe(1)
    const report = JSON.parse(r.stdout.trim().split('\n')[0]!) as {
      ok: boolean
      findings: { kind: string; seq: number }[]
    }
    expect(report.ok).toBe(false)
    expect(report.findings.map((f) => `${f.kind}:${f.seq}`)).toEqual([
      'altered:4',
      'removed:12',
      'reordered:20',
      'reordered:21',
    ])

    const out = join(dir, 'export.jsonl')
    expect((await cli('audit', 'export', '--tenant', 'ten_cli', '--out', out)).code).toBe(0)
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string })
    expect(lines[0]).toMatchObject({ type: 'header', tenant: 'ten_cli' })
    expect(lines.filter((l) => l.type === 'entry')).toHaveLength(29)
    // The export carries the tampered rows as they are: the offline check (no database, no secret) fails too.
    const offline = await cli('audit', 'verify-export', out)
    expect(offline.code).toBe(1)
    expect(offline.stdout).toMatch(/^FAIL ten_cli/)
  }, 120_000) // spawns the CLI three times (tsx start-up each)
})
