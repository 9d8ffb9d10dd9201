/** One line of the attack report: what was tried, whether the target held, and what it answered. */
export interface CheckResult {
  readonly id: string
  readonly title: string
  readonly status: 'PASS' | 'FAIL'
  /** Requests and answers that prove the verdict, one per line. */
  readonly evidence: readonly string[]
  readonly durationMs: number
  /** Figures a check measured (guesses attempted / accepted, …). */
  readonly figures?: Readonly<Record<string, number | string>>
}

export interface AttackReport {
  readonly target: string
  readonly startedAt: string
  readonly passed: number
  readonly failed: number
  readonly checks: readonly CheckResult[]
}

/** What a check function returns; the runner adds id, title and timing. */
export interface Verdict {
  readonly ok: boolean
  readonly evidence: readonly string[]
  readonly figures?: Readonly<Record<string, number | string>>
}

/** Collects evidence lines and failures while a check runs. */
export class Findings {
  readonly evidence: string[] = []
  failures = 0
  figures: Record<string, number | string> = {}
  /** Records a line; a false `ok` makes the check fail. */
  expect(ok: boolean, line: string): boolean {
    this.evidence.push(`${ok ? 'ok  ' : 'BAD '} ${line}`)
    if (!ok) this.failures++
    return ok
  }
  note(line: string): void {
    this.evidence.push(`     ${line}`)
  }
  verdict(): Verdict {
    return {
      ok: this.failures === 0 && this.evidence.length > 0,
      evidence: this.evidence,
      figures: this.figures,
    }
  }
}

export function formatTable(report: AttackReport, opts: { verbose?: boolean } = {}): string {
  const width = Math.max(...report.checks.map((c) => c.id.length), 5)
  const lines = [`moneta attack ${report.target} (${report.startedAt})`, '']
  for (const c of report.checks) {
    const bad = c.evidence.filter((e) => e.startsWith('BAD'))
    const summary = c.status === 'PASS' ? (c.evidence.at(-1) ?? '') : (bad[0] ?? c.evidence.at(-1) ?? '')
    lines.push(
      `${c.status}  ${c.id.padEnd(width)}  ${c.title} — ${summary.replace(/^(ok {2}|BAD | {5}) ?/, '')}`,
    )
    if (opts.verbose || c.status === 'FAIL') for (const e of c.evidence) lines.push(`      ${e}`)
  }
  lines.push('', `${report.passed} passed, ${report.failed} failed`)
  return `${lines.join('\n')}\n`
}
