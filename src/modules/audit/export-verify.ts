import { ed25519PublicKey } from '../crypto/index.js'
import { verifyCheckpoint } from './audit.js'
import { Frontier, leafHash } from './merkle.js'

export interface ExportCheck {
  readonly ok: boolean
  readonly tenant: string | undefined
  readonly entries: number
  readonly checkpointsVerified: number
  readonly problems: readonly string[]
}

interface Line {
  type?: string
  tenant?: string
  signer?: { keyId?: string; publicKey?: string }
  seq?: number
  entry?: string | null
  leafHash?: string
  treeSize?: number
  root?: string
  signedAt?: string
  keyId?: string
  signature?: string
}

/**
 * Checks a `moneta audit export` file without the database or any secret: recomputes every leaf
 * (from the entry text, or the exported leaf hash of a pruned entry), rebuilds the tree and checks
 * each checkpoint's Ed25519 signature and root. What a third party (an auditor) runs.
 * An export that starts after entry 0 can only be checked for its signatures.
 */
export function verifyExport(lines: Iterable<string>): ExportCheck {
  const problems: string[] = []
  let header: Line | undefined
  const leaves: Buffer[] = []
  const cps: Line[] = []
  for (const raw of lines) {
    if (!raw.trim()) continue
    let l: Line
    try {
      l = JSON.parse(raw) as Line
    } catch {
      problems.push('a line is not JSON')
      continue
    }
    if (l.type === 'header') header = l
    else if (l.type === 'checkpoint') cps.push(l)
    else if (l.type === 'entry') {
      if (l.seq !== leaves.length) problems.push(`entry ${l.seq} is out of order (expected ${leaves.length})`)
      const leaf = typeof l.entry === 'string' ? leafHash(l.entry) : Buffer.from(l.leafHash ?? '', 'hex')
      if (typeof l.entry === 'string' && l.leafHash && leaf.toString('hex') !== l.leafHash) {
        problems.push(`entry ${l.seq}: leaf hash does not match its text`)
      }
      leaves.push(leaf)
    }
  }
  if (!header?.signer?.publicKey)
    return {
      ok: false,
      tenant: undefined,
      entries: leaves.length,
      checkpointsVerified: 0,
      problems: ['no header with a public key', ...problems],
    }
  const pub = ed25519PublicKey(Buffer.from(header.signer.publicKey, 'base64'))
  const tenant = header.tenant ?? ''
  const sorted = cps.sort((a, b) => (a.treeSize ?? 0) - (b.treeSize ?? 0))
  const frontier = new Frontier()
  let verified = 0
  let i = 0
  for (const cp of sorted) {
    const size = cp.treeSize ?? -1
    const checkpoint = {
      tenant,
      treeSize: size,
      root: Buffer.from(cp.root ?? '', 'hex'),
      signedAt: cp.signedAt ?? '',
      keyId: cp.keyId ?? '',
      signature: Buffer.from(cp.signature ?? '', 'base64'),
    }
    if (!verifyCheckpoint(pub, checkpoint)) {
      problems.push(`checkpoint at size ${size}: signature is invalid`)
      continue
    }
    if (size > leaves.length) continue // the export ends before this checkpoint
    while (i < size) frontier.append(leaves[i++]!)
    if (!frontier.root().equals(checkpoint.root))
      problems.push(`checkpoint at size ${size}: root does not match the exported entries`)
    else verified++
  }
  if (verified === 0 && leaves.length > 0) problems.push('no checkpoint covers the exported entries')
  return {
    ok: problems.length === 0,
    tenant,
    entries: leaves.length,
    checkpointsVerified: verified,
    problems,
  }
}
