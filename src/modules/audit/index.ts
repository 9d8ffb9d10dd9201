/**
 * Tamper-evident audit log: an RFC 6962 Merkle log per tenant with Ed25519-signed checkpoints,
 * inclusion and consistency proofs, verification that names tampered entries, retention, export.
 *
 * Writing an entry (ADR 0211: written WITH the change, never lost in a crash):
 *
 *   // Inside the transaction that makes the change — the entry commits or rolls back with it:
 *   await services.audit.recordIn(tx, { tenant, actor, action, resource, outcome, origin, details })
 *
 *   // No transaction of yours (a sign-in failure, a call to a provider): durable when it resolves.
 *   await services.audit.record({ tenant, actor, action, resource, outcome, origin, details })
 *
 * Inside a transaction, always `recordIn(tx, …)`: awaiting `record()` there waits for a second
 * connection, which PGlite (one connection) never gives — a deadlock.
 *
 * - `actor` is the authenticated principal (`req.principal.actor`: `apikey:key_…`, `operator:op_…`),
 *   `system`/`cli`/`gateway:NAME` for machines — never a name the caller typed.
 * - `resource` is `type:id` (e.g. `payments:pay_…`); `details` carries `before`/`after` summaries.
 *   Details are redacted on the way in (secrets, tokens, PANs, names, emails…), but do not put
 *   personal data there in the first place.
 * - On the HTTP edge, every `record()` submitted while a request ran is awaited before its response is
 *   sent, even if the caller did not await it (ADR 0212); and every successful mutating request gets an `api.*` entry from
 *   src/api/audit-trail.ts (docs/audit.md says what a route must provide).
 * - `flush()` returns once everything recorded so far, by any process, is in the Merkle log.
 * Modules that only write define a narrow structural port, e.g. `{ recordIn(tx, r): Promise<void> }`.
 */
export { createAudit } from './audit.service.js'
export type { Audit, AuditDeps, InclusionProof, ConsistencyProof, StoredAuditEntry } from './audit.service.js'
export type { AuditRecord, AuditEntry, AuditOutcome, Checkpoint } from './audit.js'
export { checkpointBody, verifyCheckpoint, encodeEntry } from './audit.js'
export { leafHash, nodeHash, EMPTY_ROOT, verifyInclusion, verifyConsistency } from './merkle.js'
export type { VerifyReport, Finding, FindingKind } from './verify.js'
export { verifyExport } from './export-verify.js'
export type { ExportCheck } from './export-verify.js'
export { AUDIT_ERRORS } from './audit.errors.js'
export { auditMigrations } from './audit.migrations.js'
