import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ALPHA_NUM, rng } from '../../../test/secrets-corpus/random.js'
import { registerSecretsCommands } from './secrets.js'

/** `moneta scan-secrets` in-process: exit codes, formats and the baseline round trip. */
const dir = mkdtempSync(join(tmpdir(), 'moneta-scan-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const key = `sk_${'live'}_${rng(7).chars(ALPHA_NUM, 40)}`
writeFileSync(join(dir, 'app.env'), `STRIPE_KEY=${key}\n`)

let out = ''
beforeEach(() => {
  out = ''
  process.exitCode = undefined
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
})
afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = undefined
})

async function run(...args: string[]): Promise<number> {
  const program = new Command('moneta').exitOverride()
  registerSecretsCommands(program)
  await program.parseAsync(['node', 'moneta', 'scan-secrets', ...args])
  return Number(process.exitCode ?? 0)
}

describe('moneta scan-secrets', () => {
  it('exits 1 on findings and prints them redacted', async () => {
    expect(await run(dir, '--no-gitignore')).toBe(1)
    expect(out).toMatch(/stripe-secret-key-live\s+app\.env:1:12/)
    expect(out).not.toContain(key)
  })

  it('prints JSON and SARIF', async () => {
    await run(dir, '--no-gitignore', '--format', 'json')
    expect((JSON.parse(out) as { findings: unknown[] }).findings).toHaveLength(1)
    out = ''
    await run(dir, '--no-gitignore', '--format', 'sarif')
    expect((JSON.parse(out) as { version: string }).version).toBe('2.1.0')
  })

  it('adopts a baseline: written once, then the same findings pass', async () => {
    const baseline = join(dir, 'baseline.json')
    expect(await run(dir, '--no-gitignore', '--write-baseline', baseline)).toBe(0)
    expect(readFileSync(baseline, 'utf8')).not.toContain(key)
    expect(await run(dir, '--no-gitignore', '--baseline', baseline)).toBe(0)
  })

  it('exits 2 on a bad format', async () => {
    expect(await run(dir, '--format', 'xml')).toBe(2)
  })
})
