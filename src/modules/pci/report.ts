/**
 * The PCI DSS v4.0.1 report of a running installation: one result per check, each with the evidence
 * it was decided on. Checks are pure functions of `PciFacts` (facts.ts), which are read from the
 * real configuration and database by collect.ts: so a test can weaken the configuration or the state
 * and watch the matching check fail.
 */
import type { PciFacts } from './facts.js'

export type CheckStatus = 'pass' | 'fail' | 'n/a'

export interface PciCheck {
  /** Stable id: requirement plus subject, e.g. `8.4.2/mfa`. */
  readonly id: string
  /** PCI DSS v4.0.1 requirement number. */
  readonly requirement: string
  readonly title: string
  readonly status: CheckStatus
  /** What was looked at and what it showed. */
  readonly evidence: readonly string[]
  /** What to change, when the check fails. */
  readonly remedy?: string
}

export interface PciReportBody {
  readonly format: typeof REPORT_FORMAT
  readonly standard: 'PCI DSS v4.0.1'
  readonly generatedAt: string
  readonly installation: {
    readonly database: string
    readonly masterKeyId: string
    readonly configFile: string | null
  }
  readonly summary: { readonly pass: number; readonly fail: number; readonly notApplicable: number }
  readonly checks: readonly PciCheck[]
}

export const REPORT_FORMAT = 'moneta-pci-report/1'

export interface PciCheckDefinition {
  readonly id: string
  readonly requirement: string
  readonly title: string
  evaluate(f: PciFacts): Pick<PciCheck, 'status' | 'evidence' | 'remedy'>
}

/** Builds a result: `fail` when any problem was found, else `pass`. */
export function verdict(
  evidence: string[],
  problems: string[],
  remedy: string,
): Pick<PciCheck, 'status' | 'evidence' | 'remedy'> {
  return problems.length === 0
    ? { status: 'pass', evidence }
    : { status: 'fail', evidence: [...evidence, ...problems.map((p) => `FAIL: ${p}`)], remedy }
}

export function runChecks(definitions: readonly PciCheckDefinition[], facts: PciFacts): PciCheck[] {
  return definitions.map((d) => ({
    id: d.id,
    requirement: d.requirement,
    title: d.title,
    ...d.evaluate(facts),
  }))
}

export function summarize(checks: readonly PciCheck[]): PciReportBody['summary'] {
  return {
    pass: checks.filter((c) => c.status === 'pass').length,
    fail: checks.filter((c) => c.status === 'fail').length,
    notApplicable: checks.filter((c) => c.status === 'n/a').length,
  }
}
