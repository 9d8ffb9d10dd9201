import { RULES } from '../rules/index.js'
import type { ScanResult, Severity } from '../types.js'

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
}

/** SARIF 2.1.0, for code-scanning dashboards. The secret appears only redacted. */
export function formatSarif(result: ScanResult): string {
  const used = new Set(result.findings.map((f) => f.ruleId))
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'moneta scan-secrets',
            informationUri: 'https://github.com/moneta/moneta/blob/main/docs/secrets.md',
            rules: RULES.filter((r) => used.has(r.id)).map((r) => ({
              id: r.id,
              name: r.title,
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { severity: r.severity, tags: ['security', 'secret'] },
            })),
          },
        },
        results: result.findings.map((f) => ({
          ruleId: f.ruleId,
          level: LEVEL[f.severity],
          message: { text: `${f.title} (${f.redacted}). ${f.why}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.path },
                region: { startLine: f.line, startColumn: f.column },
              },
            },
          ],
          partialFingerprints: { 'monetaSecret/v1': f.fingerprint },
          ...(f.commit ? { properties: { commit: f.commit, blob: f.blob } } : {}),
        })),
      },
    ],
  }
  return `${JSON.stringify(sarif, null, 2)}\n`
}

export function formatJson(result: ScanResult): string {
  return `${JSON.stringify(result, null, 2)}\n`
}
