import { readFileSync, writeFileSync } from 'node:fs'
import { secretsError } from './secrets.errors.js'
import type { Finding } from './types.js'

/**
 * A baseline lets an existing repository adopt the scanner: the findings it holds (by fingerprint,
 * i.e. rule + secret hashed, so moving a file keeps it matched) are accepted, new ones fail. The
 * path and line are recorded for the reader only.
 */
export interface Baseline {
  readonly version: 1
  readonly findings: readonly { fingerprint: string; ruleId: string; path: string; line: number }[]
}

export function readBaseline(file: string): Set<string> {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw secretsError('SECRETS_BASELINE_INVALID', `${file}: ${(err as Error).message}`, err)
  }
  const b = parsed as { version?: unknown; findings?: unknown }
  const entries: unknown[] = Array.isArray(b.findings) ? (b.findings as unknown[]) : []
  const fingerprints = entries.map((f) => (f as { fingerprint?: unknown } | null)?.fingerprint)
  if (b.version !== 1 || !Array.isArray(b.findings) || fingerprints.some((f) => typeof f !== 'string')) {
    throw secretsError(
      'SECRETS_BASELINE_INVALID',
      `${file}: expected {"version":1,"findings":[{"fingerprint":…}]}`,
    )
  }
  return new Set(fingerprints as string[])
}

export function baselineOf(findings: readonly Finding[]): Baseline {
  const seen = new Set<string>()
  const out: Baseline['findings'][number][] = []
  for (const f of findings) {
    if (seen.has(f.fingerprint)) continue
    seen.add(f.fingerprint)
    out.push({ fingerprint: f.fingerprint, ruleId: f.ruleId, path: f.path, line: f.line })
  }
  out.sort((a, b) => a.path.localeCompare(b.path) || a.line - b.line)
  return { version: 1, findings: out }
}

export function writeBaseline(file: string, findings: readonly Finding[]): void {
  writeFileSync(file, `${JSON.stringify(baselineOf(findings), null, 2)}\n`)
}
