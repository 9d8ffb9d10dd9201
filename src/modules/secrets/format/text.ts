import type { Finding, ScanResult, Severity } from '../types.js'

const ORDER: readonly Severity[] = ['critical', 'high', 'medium', 'low']

/** Human output: one block per finding (what, where, redacted value, why it matters, what matched). */
export function formatText(result: ScanResult): string {
  const lines: string[] = []
  const sorted = [...result.findings].sort(
    (a, b) =>
      ORDER.indexOf(a.severity) - ORDER.indexOf(b.severity) ||
      a.path.localeCompare(b.path) ||
      a.line - b.line,
  )
  for (const f of sorted) lines.push(...block(f), '')
  lines.push(summary(result))
  return `${lines.join('\n')}\n`
}

function block(f: Finding): string[] {
  const where = `${f.path}:${f.line}:${f.column}${f.encoding ? ' (base64)' : ''}`
  const out = [
    `${f.severity.toUpperCase().padEnd(8)} ${f.ruleId}  ${where}  ${f.redacted}`,
    `  ${f.title}. ${f.why}`,
  ]
  if (f.commit) out.push(`  introduced in ${f.commit.slice(0, 12)} by ${f.author ?? '?'} on ${f.date ?? '?'}`)
  out.push(`  ${f.evidence}`, `  fingerprint ${f.fingerprint}`)
  return out
}

export function summary(result: ScanResult): string {
  const { stats, suppressed } = result
  const bySeverity = ORDER.map((s) => [s, result.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
  const held = Object.entries(suppressed)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
  const mb = (stats.bytes / 1e6).toFixed(1)
  return (
    `${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}` +
    `${bySeverity.length ? ` (${bySeverity.join(', ')})` : ''} in ${stats.files} files, ${mb} MB, ` +
    `${(stats.durationMs / 1000).toFixed(2)} s` +
    `${held.length ? `; not reported: ${held.join(', ')}` : ''}` +
    `${stats.ignored ? `; ${stats.ignored} paths ignored by .moneta-secrets-ignore` : ''}` +
    `${stats.skippedBinary + stats.skippedLarge ? `; skipped ${stats.skippedBinary} binary, ${stats.skippedLarge} too large` : ''}`
  )
}
