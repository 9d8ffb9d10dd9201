import type { Audit } from '../audit/index.js'
import { REPORT_AUDIT_ACTION, REPORT_AUDIT_TENANT } from './report.service.js'

export interface LoggedReport {
  readonly found: boolean
  readonly seq?: number
  /** The audit log holding the entry verified intact now. */
  readonly logIntact: boolean
  readonly problems: readonly string[]
}

/**
 * Finds the audit entry that recorded a report's digest and verifies the log it is in: proof that
 * this installation generated exactly that report (the digest covers every byte of the body).
 */
export async function findLoggedReport(
  audit: Pick<Audit, 'entries' | 'verify' | 'flush'>,
  digest: string,
): Promise<LoggedReport> {
  await audit.flush()
  const verified = await audit.verify(REPORT_AUDIT_TENANT)
  const problems = verified.ok
    ? []
    : [`the audit log ${REPORT_AUDIT_TENANT} has ${verified.findings.length} finding(s)`]
  const page = 500
  for (let from = 0; ; from += page) {
    const rows = await audit.entries(REPORT_AUDIT_TENANT, from, page)
    for (const r of rows) {
      const e = r.entry
      if (e?.action === REPORT_AUDIT_ACTION && e.details?.digest === digest)
        return { found: true, seq: r.seq, logIntact: verified.ok, problems }
    }
    if (rows.length < page) break
  }
  return {
    found: false,
    logIntact: verified.ok,
    problems: [
      ...problems,
      'no audit entry records this report: it was not generated here, or it was altered',
    ],
  }
}
