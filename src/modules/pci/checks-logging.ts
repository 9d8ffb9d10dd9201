import { verdict, type PciCheckDefinition } from './report.js'

/** PCI DSS v4.0.1 section 10: the audit log. */
export const LOGGING_CHECKS: readonly PciCheckDefinition[] = [
  {
    id: '10.3.4/tamper-detection',
    requirement: '10.3.4',
    title:
      'Changes to audit logs are detected: every log verified now (Merkle tree, MACs, signed checkpoints)',
    evaluate: (f) => {
      const logs = f.audit.logs
      // Nothing recorded yet (a database no `moneta start` has run on): nothing to verify, not a failure.
      if (logs.length === 0) return { status: 'n/a', evidence: ['no audit log holds any entry yet'] }
      return verdict(
        logs.map(
          (l) =>
            `tenant ${l.tenant}: ${l.entries} entries, ${l.checkpointsVerified} signed checkpoint(s) verified, ${l.ok ? 'intact' : `${l.findings} finding(s)`}`,
        ),
        logs
          .filter((l) => !l.ok)
          .map((l) => `tenant ${l.tenant}'s log was altered: ${l.firstFinding ?? 'see moneta audit verify'}`),
        'Run `moneta audit verify --tenant …` for every finding and treat it as a security incident (12.10).',
      )
    },
  },
  {
    id: '10.5.1/retention',
    requirement: '10.5.1',
    title: 'Audit log history is kept at least 12 months, the last 3 months immediately available',
    evaluate: (f) => {
      const days = f.settings.auditRetentionDays
      return verdict(
        [
          days === undefined
            ? 'MONETA_AUDIT_RETENTION_DAYS unset: entry texts are kept forever, online'
            : `MONETA_AUDIT_RETENTION_DAYS = ${days}: entry texts older than that are pruned (their hashes stay)`,
        ],
        days !== undefined && days < 365 ? [`entries are pruned after ${days} days`] : [],
        'Set MONETA_AUDIT_RETENTION_DAYS ≥ 365, or leave it unset.',
      )
    },
  },
]
