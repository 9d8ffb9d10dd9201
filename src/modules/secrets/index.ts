/**
 * Secrets detection: a library and the `moneta scan-secrets` command (no HTTP endpoint).
 *
 *   const result = await scanPath('.', { history: true })   → { findings, suppressed, stats }
 *   scanFiles([{ path: 'deploy/app.env', content }])          → the same, in memory
 *   formatText(result) · formatSarif(result) · formatJson(result)
 *
 * Findings never carry a whole secret: `redacted` plus a `fingerprint` (rule + secret, hashed).
 * Rules, context checks, baseline and ignore file: docs/secrets.md. Errors: SECRETS_* (docs/errors.md).
 */
export { scanPath, scanFiles, attributeCommits } from './scan.js'
export type { ScanOptions } from './scan.js'
export type { Finding, Rule, ScanResult, ScanStats, Severity, SuppressionReason } from './types.js'
export { RULES, RULE_IDS } from './rules/index.js'
export { readBaseline, writeBaseline, baselineOf } from './baseline.js'
export type { Baseline } from './baseline.js'
export { IGNORE_FILE } from './ignore-file.js'
export { formatText, summary } from './format/text.js'
export { formatSarif, formatJson } from './format/sarif.js'
export { installHook } from './hook.js'
export { githubChecksum } from './github-checksum.js'
export { SECRETS_ERRORS } from './secrets.errors.js'
export type { SecretsErrorCode } from './secrets.errors.js'

/** True when a scan found nothing to report (what `moneta pci report` checks). */
export const isClean = (result: { readonly findings: readonly unknown[] }): boolean =>
  result.findings.length === 0
