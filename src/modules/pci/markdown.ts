import type { PciReportBody } from './report.js'

const STATUS = { pass: 'PASS', fail: 'FAIL', 'n/a': 'N/A' } as const

/** Markdown must not be able to smuggle structure out of evidence text (a path with a newline, a `|`). */
const inline = (s: string): string => s.replace(/[\r\n]+/g, ' ').replace(/([|*_`<>[\]])/g, '\\$1')

/**
 * The human view of a report body. Deterministic: verify-report renders the signed body again and
 * compares it with the visible text, so an edit to the visible part is caught.
 */
export function renderMarkdown(body: PciReportBody): string {
  const s = body.summary
  const lines = [
    `# ${body.standard} report — Moneta`,
    '',
    `Generated ${body.generatedAt} from the running installation (database: ${inline(body.installation.database)}; master key ${inline(body.installation.masterKeyId)}; config file: ${inline(body.installation.configFile ?? 'none')}).`,
    '',
    `**${s.pass} pass · ${s.fail} fail · ${s.notApplicable} not applicable**`,
    '',
    '| requirement | check | status |',
    '| --- | --- | --- |',
    ...body.checks.map((c) => `| ${c.requirement} | ${inline(c.title)} | ${STATUS[c.status]} |`),
    '',
  ]
  for (const c of body.checks) {
    lines.push(`## ${c.requirement} — ${inline(c.title)}: ${STATUS[c.status]}`, '', `Check \`${c.id}\`.`, '')
    for (const e of c.evidence) lines.push(`- ${inline(e)}`)
    if (c.remedy) lines.push('', `**Remedy:** ${inline(c.remedy)}`)
    lines.push('')
  }
  lines.push(
    "This report is signed with the audit log's Ed25519 key and recorded in the audit log (`pci.report.generated`). Check it with `moneta pci verify-report FILE --public-key KEY [--against-log]`.",
    '',
  )
  return lines.join('\n')
}
