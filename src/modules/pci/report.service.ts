import type { Audit } from '../audit/index.js'
import { ACCESS_CHECKS } from './checks-access.js'
import { DATA_CHECKS } from './checks-data.js'
import { DEPLOYMENT_CHECKS } from './checks-deployment.js'
import { LOGGING_CHECKS } from './checks-logging.js'
import { collectFacts, type CollectDeps } from './collect.js'
import type { PciFacts } from './facts.js'
import { REPORT_FORMAT, runChecks, summarize, type PciCheckDefinition, type PciReportBody } from './report.js'
import { reportDigest, signReport, type ReportSigner, type SignedPciReport } from './signing.js'

/** Every check of `moneta pci report`, in requirement order. */
export const PCI_CHECKS: readonly PciCheckDefinition[] = [
  ...DATA_CHECKS,
  ...DEPLOYMENT_CHECKS.filter((c) => c.requirement.startsWith('4.')),
  ...ACCESS_CHECKS,
  ...DEPLOYMENT_CHECKS.filter((c) => c.requirement.startsWith('8.')),
  ...LOGGING_CHECKS,
]

/** The audit log the reports are recorded in: installation-wide, like key rotations. */
export const REPORT_AUDIT_TENANT = '_system'
export const REPORT_AUDIT_ACTION = 'pci.report.generated'

export interface GenerateDeps extends CollectDeps {
  readonly signer: ReportSigner
  readonly recorder: Pick<Audit, 'record' | 'flush'>
  /** Who asked (`cli`, `operator:op_…`). */
  readonly actor: string
}

/** The report body from facts (pure: what the tests weaken). */
export function reportBody(facts: PciFacts, installation: PciReportBody['installation']): PciReportBody {
  const checks = runChecks(PCI_CHECKS, facts)
  return {
    format: REPORT_FORMAT,
    standard: 'PCI DSS v4.0.1',
    generatedAt: facts.now,
    installation,
    summary: summarize(checks),
    checks,
  }
}

/**
 * Reads the installation, evaluates every check, signs the result with the audit log's key and
 * records its digest in the audit log, so an assessor can later prove the file is the one generated.
 */
export async function generatePciReport(deps: GenerateDeps): Promise<SignedPciReport & { digest: string }> {
  const facts = await collectFacts(deps)
  const body = reportBody(facts, {
    database:
      facts.settings.database.kind === 'postgres'
        ? `postgres at ${facts.settings.database.host ?? '?'}`
        : 'pglite',
    masterKeyId: facts.masterKey.kekId,
    configFile: facts.settings.configFile ?? null,
  })
  const signed = signReport(body, deps.signer)
  const digest = reportDigest(body)
  await deps.recorder.record({
    tenant: REPORT_AUDIT_TENANT,
    actor: deps.actor,
    action: REPORT_AUDIT_ACTION,
    resource: `pci_report:${digest.slice(0, 32)}`,
    outcome: 'success',
    origin: deps.actor === 'cli' ? 'cli' : 'api',
    details: {
      digest,
      generatedAt: body.generatedAt,
      pass: body.summary.pass,
      fail: body.summary.fail,
      notApplicable: body.summary.notApplicable,
      failing: body.checks.filter((c) => c.status === 'fail').map((c) => c.id),
    },
  })
  await deps.recorder.flush()
  return { ...signed, digest }
}
