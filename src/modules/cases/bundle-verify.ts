import { leafHash, verifyCheckpoint, verifyInclusion } from '../audit/index.js'
import { ed25519PublicKey } from '../crypto/index.js'
import { verify } from 'node:crypto'
import { canonicalJson } from '../../shared/canonical-json.js'
import { BUNDLE_FORMAT } from './bundle.js'

export interface BundleCheck {
  readonly ok: boolean
  readonly caseId: string | undefined
  readonly tenant: string | undefined
  readonly keyId: string | undefined
  readonly entries: number
  readonly problems: readonly string[]
}

interface BundleFile {
  format?: unknown
  body?: {
    tenant?: unknown
    caseId?: unknown
    audit?: {
      checkpoint?: {
        tenant?: string
        treeSize?: number
        root?: string
        signedAt?: string
        keyId?: string
        signature?: string
      } | null
      entries?: { seq?: number; entry?: string; leafHash?: string; proof?: string[] }[]
    }
  }
  signature?: { algorithm?: string; keyId?: string; publicKey?: string; value?: string }
}

/**
 * Checks an evidence bundle offline (no database, no secret), as an examiner would:
 *  1. the file is exactly the canonical JSON of what it holds (so no byte can change unnoticed);
 *  2. the Ed25519 signature over the body verifies (with `pinnedPublicKey`, also that it is that key);
 *  3. the audit checkpoint's signature verifies under the same key;
 *  4. every audit entry hashes to its leaf, belongs to the bundle's tenant, and its RFC 6962 inclusion
 *     proof leads to the checkpoint's root.
 */
export function verifyEvidenceBundle(text: string, pinnedPublicKey?: string): BundleCheck {
  const problems: string[] = []
  let b: BundleFile
  try {
    b = JSON.parse(text) as BundleFile
  } catch {
    return {
      ok: false,
      caseId: undefined,
      tenant: undefined,
      keyId: undefined,
      entries: 0,
      problems: ['not JSON'],
    }
  }
  if (canonicalJson(b) !== text) problems.push('the file is not in canonical form: it was edited')
  if (b.format !== BUNDLE_FORMAT) problems.push(`format is not ${BUNDLE_FORMAT}`)
  const body = b.body
  const sig = b.signature
  const caseId = typeof body?.caseId === 'string' ? body.caseId : undefined
  const tenant = typeof body?.tenant === 'string' ? body.tenant : undefined
  let pub: ReturnType<typeof ed25519PublicKey> | undefined
  if (!body || !sig?.publicKey || !sig.value || sig.algorithm !== 'ed25519') {
    problems.push('no body or no Ed25519 signature')
  } else {
    if (pinnedPublicKey && pinnedPublicKey !== sig.publicKey)
      problems.push('signed with another key than the pinned public key')
    try {
      pub = ed25519PublicKey(Buffer.from(sig.publicKey, 'base64'))
      if (!verify(null, Buffer.from(canonicalJson(body)), pub, Buffer.from(sig.value, 'base64')))
        problems.push('the signature over the bundle body does not verify')
    } catch {
      problems.push('the public key or signature is malformed')
    }
  }
  const cp = body?.audit?.checkpoint
  const entries = body?.audit?.entries ?? []
  if (cp && pub) {
    const root = Buffer.from(cp.root ?? '', 'hex')
    const size = cp.treeSize ?? -1
    if (cp.tenant !== tenant) problems.push('the checkpoint is of another tenant')
    if (cp.keyId !== sig?.keyId) problems.push('the checkpoint was signed by another key id')
    const cpOk = verifyCheckpoint(pub, {
      tenant: cp.tenant ?? '',
      treeSize: size,
      root,
      signedAt: cp.signedAt ?? '',
      keyId: cp.keyId ?? '',
      signature: Buffer.from(cp.signature ?? '', 'base64'),
    })
    if (!cpOk) problems.push(`the audit checkpoint (size ${size}) signature does not verify`)
    for (const e of entries) {
      const textOf = e.entry ?? ''
      const leaf = leafHash(textOf)
      if (leaf.toString('hex') !== e.leafHash)
        problems.push(`audit entry ${e.seq}: text does not hash to its leaf`)
      let claimed: { seq?: number; tenant?: string } = {}
      try {
        claimed = JSON.parse(textOf) as { seq?: number; tenant?: string }
      } catch {
        problems.push(`audit entry ${e.seq}: not JSON`)
      }
      if (claimed.seq !== e.seq || claimed.tenant !== tenant)
        problems.push(`audit entry ${e.seq}: its text names another position or tenant`)
      const proof = (e.proof ?? []).map((p) => Buffer.from(p, 'hex'))
      if (!verifyInclusion(e.seq ?? -1, size, leaf, proof, root))
        problems.push(`audit entry ${e.seq}: the inclusion proof does not lead to the checkpoint root`)
    }
  } else if (entries.length > 0) {
    problems.push('audit entries without a checkpoint to prove them against')
  }
  return { ok: problems.length === 0, caseId, tenant, keyId: sig?.keyId, entries: entries.length, problems }
}
