/**
 * Tamper-evident audit log: an RFC 6962 Merkle log per tenant with Ed25519-signed checkpoints,
 * inclusion and consistency proofs, verification that names tampered entries, retention, export.
 *
 *   services.audit.record({ tenant, actor, action, resource, outcome, origin, details? })   // queues; never blocks
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
