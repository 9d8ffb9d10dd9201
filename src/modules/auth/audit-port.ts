import type { Db } from '../../shared/db/connect.js'
import type { AuditRecord } from '../audit/index.js'

/**
 * The slice of the audit log auth writes to. A state change (lockout, MFA, operator and key changes)
 * writes its entry with `recordIn` in its own transaction, so a crash cannot keep the change and lose
 * the entry (ADR 0211); `record` is for what changes no state (a refused sign-in, a reused code).
 */
export interface AuthAuditPort {
  record(r: AuditRecord): void
  recordIn(tx: Db, r: AuditRecord): Promise<void>
}
