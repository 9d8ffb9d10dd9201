import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ALPHA_NUM, BASE64, rng } from '../../../test/secrets-corpus/random.js'
import {
  formatSarif,
  formatText,
  githubChecksum,
  installHook,
  RULES,
  scanFiles,
  scanPath,
  writeBaseline,
} from './index.js'

// Every value below is drawn at run time: nothing live-looking is committed (our own CI scan stays clean).
const r = rng(20)
const stripeLive = (): string => `sk_${'live'}_${r.chars(ALPHA_NUM, 99)}`
const githubToken = (valid: boolean): string => {
  const random = r.chars(ALPHA_NUM, 30)
  const sum = githubChecksum(random)
  return `gh${'p'}_${random}${valid ? sum : sum.split('').reverse().join('')}`
}

const dirs: string[] = []
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'moneta-secrets-'))
  dirs.push(d)
  return d
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const gitIn = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.org',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.org',
    },
  })

describe('rules', () => {
  it('have unique, stable kebab-case ids', () => {
    const ids = RULES.map((x) => x.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
  })
})

describe('detection', () => {
  it('finds a Stripe live key, redacted, with its location and explanation', () => {
    const key = stripeLive()
    const res = scanFiles([{ path: 'config/prod.yml', content: `stripe:\n  secret_key: "${key}"\n` }])
    expect(res.findings).toHaveLength(1)
    const f = res.findings[0]!
    expect(f).toMatchObject({ ruleId: 'stripe-secret-key-live', severity: 'critical', line: 2, column: 16 })
    expect(f.redacted.startsWith('sk_live_')).toBe(true)
    expect(f.redacted).not.toContain(key.slice(8, 20))
    expect(JSON.stringify(res)).not.toContain(key)
    expect(formatText(res)).not.toContain(key)
    expect(f.why).toMatch(/live Stripe account/)
  })

  it('treats placeholders and low-entropy values as look-alikes', () => {
    const res = scanFiles([
      {
        path: 'a.ts',
        content: `const k = 'sk_${'live'}_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\nconst j = 'sk_${'live'}_YOURKEYHERE1234567890abcdefgh'\n`,
      },
    ])
    expect(res.findings).toHaveLength(0)
    expect(res.suppressed.placeholder).toBe(2)
  })

  it("verifies GitHub's checksum: a valid token is reported, a forged one is not", () => {
    const res = scanFiles([
      { path: 'ci.sh', content: `GH=${githubToken(true)}\nOTHER=${githubToken(false)}\n` },
    ])
    expect(res.findings.map((f) => [f.ruleId, f.line])).toEqual([['github-token', 1]])
    expect(res.suppressed.rejected).toBe(1)
  })

  it('honours inline allow comments and example markers', () => {
    const res = scanFiles([
      {
        path: 'a.py',
        content: `KEY = "${stripeLive()}"  # moneta-scan: allow\n# moneta-scan: example\nK2 = "${stripeLive()}"\n`,
      },
    ])
    expect(res.findings).toHaveLength(0)
    expect(res.suppressed['allow-comment']).toBe(1)
    expect(res.suppressed['documentation-example']).toBe(1)
  })

  it('accepts test-mode keys in test fixtures but not live ones', () => {
    const test = `sk_${'test'}_${r.chars(ALPHA_NUM, 24)}`
    const res = scanFiles([
      { path: 'test/fixtures/stripe.json', content: `{"test":"${test}","live":"${stripeLive()}"}` },
    ])
    expect(res.findings.map((f) => f.ruleId)).toEqual(['stripe-secret-key-live'])
    expect(res.suppressed['test-fixture']).toBe(1)
  })

  it('decodes base64 payloads (a Kubernetes Secret) and reports the payload line', () => {
    const b64 = Buffer.from(stripeLive()).toString('base64')
    const res = scanFiles([
      { path: 'k8s/secret.yaml', content: `kind: Secret\ndata:\n  STRIPE_KEY: ${b64}\n` },
    ])
    expect(res.findings).toMatchObject([{ ruleId: 'stripe-secret-key-live', line: 3, encoding: 'base64' }])
  })

  it('needs context for context-dependent rules (a Plaid secret is 30 hex digits anywhere)', () => {
    const hex = r.chars('0123456789abcdef', 30)
    expect(scanFiles([{ path: 'x.yml', content: `secret: ${hex}\n` }]).findings).toHaveLength(0)
    const res = scanFiles([
      {
        path: 'x.yml',
        content: `plaid:\n  client_id: ${r.chars('0123456789abcdef', 24)}\n  secret: ${hex}\n`,
      },
    ])
    expect(res.findings.map((f) => f.ruleId)).toEqual(['plaid-secret'])
  })

  it('reports a database URL password but not a local default or a template', () => {
    const res = scanFiles([
      {
        path: 'app.ts',
        content: [
          `const a = 'postgres://app:${r.chars(ALPHA_NUM, 20)}@db.internal:5432/pay'`,
          `const b = 'postgres://postgres:postgres@localhost/db'`,
          'const c = `postgres://app:${process.env.PW}@db/x`',
        ].join('\n'),
      },
    ])
    expect(res.findings.map((f) => [f.ruleId, f.line])).toEqual([['database-url-password', 1]])
  })

  it("recognises Moneta's own credentials", () => {
    const content = [
      `MONETA_API_KEY=${r.chars(BASE64, 40)}`,
      `MONETA_MASTER_KEY=${r.chars(BASE64, 43)}=`,
      `token: mk_${r.chars(ALPHA_NUM, 32)}`,
    ].join('\n')
    const res = scanFiles([{ path: 'deploy/moneta.conf', content }])
    expect(res.findings.map((f) => f.ruleId).sort()).toEqual([
      'moneta-api-key',
      'moneta-api-key-env',
      'moneta-master-key',
    ])
  })

  it('writes SARIF 2.1.0 with fingerprints and no raw secret', () => {
    const key = stripeLive()
    const sarif = JSON.parse(formatSarif(scanFiles([{ path: 'a.env', content: `K=${key}` }]))) as {
      version: string
      runs: { results: { ruleId: string; partialFingerprints: Record<string, string> }[] }[]
    }
    expect(sarif.version).toBe('2.1.0')
    expect(sarif.runs[0]!.results[0]!.ruleId).toBe('stripe-secret-key-live')
    expect(JSON.stringify(sarif)).not.toContain(key)
  })
})

describe('working tree, history, baseline, hook', () => {
  it('scans every blob of the history once, including deleted files, and names the commit', async () => {
    const dir = tempDir()
    gitIn(dir, 'init', '-q', '-b', 'main')
    writeFileSync(join(dir, 'app.yml'), `stripe_key: ${stripeLive()}\n`)
    gitIn(dir, 'add', '.')
    gitIn(dir, 'commit', '-qm', 'add key')
    const first = gitIn(dir, 'rev-parse', 'HEAD').trim()
    rmSync(join(dir, 'app.yml'))
    writeFileSync(join(dir, 'README.md'), 'nothing here\n')
    gitIn(dir, 'add', '-A')
    gitIn(dir, 'commit', '-qm', 'remove key')

    expect((await scanPath(dir)).findings).toHaveLength(0) // the tree is clean now
    const { attributeCommits } = await import('./index.js')
    const hist = await attributeCommits(dir, await scanPath(dir, { history: true }))
    expect(hist.findings).toMatchObject([
      { ruleId: 'stripe-secret-key-live', path: 'app.yml', commit: first },
    ])
    expect((await scanPath(dir, { since: first })).findings).toHaveLength(0) // nothing new since
  })

  it('scans staged blobs, honours the ignore file and a baseline', async () => {
    const dir = tempDir()
    gitIn(dir, 'init', '-q', '-b', 'main')
    mkdirSync(join(dir, 'corpus'))
    writeFileSync(join(dir, 'corpus', 'planted.txt'), `${stripeLive()}\n`)
    writeFileSync(join(dir, '.moneta-secrets-ignore'), 'corpus/\n')
    writeFileSync(join(dir, 'old.env'), `K=${stripeLive()}\n`)
    expect((await scanPath(dir)).stats.ignored).toBe(1)
    const before = await scanPath(dir)
    expect(before.findings.map((f) => f.path)).toEqual(['old.env'])
    writeBaseline(join(dir, 'baseline.json'), before.findings)
    expect((await scanPath(dir, { baseline: join(dir, 'baseline.json') })).findings).toHaveLength(0)

    writeFileSync(join(dir, 'new.ts'), `export const k = '${stripeLive()}'\n`)
    gitIn(dir, 'add', 'new.ts')
    const staged = await scanPath(dir, { staged: true, baseline: join(dir, 'baseline.json') })
    expect(staged.findings.map((f) => f.path)).toEqual(['new.ts'])
  })

  it('installs a pre-commit hook and refuses to overwrite a foreign one', async () => {
    const dir = tempDir()
    gitIn(dir, 'init', '-q')
    const file = await installHook(dir)
    expect(readFileSync(file, 'utf8')).toMatch(/scan-secrets --staged/)
    await installHook(dir) // ours: replaced without --force
    writeFileSync(file, '#!/bin/sh\necho mine\n')
    await expect(installHook(dir)).rejects.toMatchObject({ code: 'SECRETS_HOOK_EXISTS' })
  })
})
