import {
  encodeEntry,
  type AuditEntry,
  type Checkpoint,
  type InclusionProof,
  type StoredAuditEntry,
} from '../audit/index.js'
import { canonicalJson } from '../../shared/canonical-json.js'
import type { Actor } from './cases.js'
import type { CasesContext } from './context.js'
import { getSar, sarVersions } from './sar.service.js'
import { caseView } from './views.js'

/** What the bundle needs of the audit log (the audit module's interface satisfies it). */
export interface BundleAudit {
  flush(): Promise<void>
  latestCheckpoint(tenant: string): Promise<Checkpoint | undefined>
  entries(tenant: string, from: number, limit: number): Promise<StoredAuditEntry[]>
  inclusionProof(tenant: string, seq: number, treeSize?: number): Promise<InclusionProof>
}

/** Signs the bundle body: the audit log's Ed25519 key, so one pinned public key checks both. */
export interface BundleSigner {
  readonly keyId: string
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer
  sign(data: Buffer): Buffer
}

export const BUNDLE_FORMAT = 'moneta-evidence/v1'

/**
 * A case's evidence, self-contained and signed: the case with its alerts, links, timeline, decisions
 * and attachment digests, the SAR draft (latest version and the list of versions), and every audit
 * entry touching them, each with its RFC 6962 inclusion proof against one signed checkpoint.
 *
 * The file is the canonical JSON of `{format, body, signature}` (sorted keys, no whitespace), and the
 * signature covers the canonical JSON of `body`: `verifyEvidenceBundle` refuses a file that is not
 * byte for byte its canonical form, so every byte of it is checked.
 */
export async function buildEvidenceBundle(
  ctx: CasesContext,
  audit: BundleAudit,
  signer: BundleSigner,
  tenant: string,
  caseId: string,
  actor: Actor,
): Promise<string> {
  const view = await caseView(ctx, tenant, caseId)
  const sar = await getSar(ctx, tenant, caseId).catch(() => undefined)
  const versions = sar ? await sarVersions(ctx, tenant, caseId) : []
  // Entries about the case, its alerts, its transactions and counterparties, its party.
  const refs = new Set<string>([
    `case:${caseId}`,
    caseId,
    ...view.alerts.map((a) => a.alertId),
    ...view.links.map((l) => l.ref),
    ...(view.case.partyId ? [view.case.partyId, `party:${view.case.partyId}`] : []),
  ])
  await audit.flush()
  const checkpoint = await audit.latestCheckpoint(tenant)
  const picked: { seq: number; entry: string; leafHash: string }[] = []
  if (checkpoint) {
    for (let from = 0; from < checkpoint.treeSize; from += 1000) {
      const page = await audit.entries(tenant, from, Math.min(1000, checkpoint.treeSize - from))
      if (page.length === 0) break
      for (const e of page) if (e.entry && touches(e.entry, refs, caseId)) picked.push(encoded(e))
    }
  }
  const proofs = []
  for (const p of picked) {
    const proof = await audit.inclusionProof(tenant, p.seq, checkpoint!.treeSize)
    proofs.push({ ...p, proof: proof.proof.map((b) => b.toString('hex')) })
  }
  const body = {
    tenant,
    caseId,
    generatedAt: ctx.clock.now().toISOString(),
    generatedBy: actor.id,
    case: view,
    sar: sar ?? null,
    sarVersions: versions,
    audit: {
      hashing: 'rfc6962-sha256',
      checkpoint: checkpoint
        ? {
            tenant: checkpoint.tenant,
            treeSize: checkpoint.treeSize,
            root: checkpoint.root.toString('hex'),
            signedAt: checkpoint.signedAt,
            keyId: checkpoint.keyId,
            signature: checkpoint.signature.toString('base64'),
          }
        : null,
      entries: proofs,
    },
  }
  const signature = signer.sign(Buffer.from(canonicalJson(body)))
  return canonicalJson({
    format: BUNDLE_FORMAT,
    body,
    signature: {
      algorithm: 'ed25519',
      keyId: signer.keyId,
      publicKey: signer.publicKey.toString('base64'),
      value: signature.toString('base64'),
    },
  })
}

/** The exact leaf text, as hashed into the tree. */
function encoded(e: StoredAuditEntry): { seq: number; entry: string; leafHash: string } {
  return { seq: e.seq, entry: encodeEntry(e.entry!), leafHash: e.leafHash.toString('hex') }
}

function touches(e: AuditEntry, refs: ReadonlySet<string>, caseId: string): boolean {
  if (refs.has(e.resource)) return true
  const d = e.details as Record<string, unknown> | undefined
  return d?.caseId === caseId
}
