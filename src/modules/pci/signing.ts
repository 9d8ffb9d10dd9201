import { createHash, verify, type KeyObject } from 'node:crypto'
import { canonicalJson } from '../../shared/canonical-json.js'
import { ed25519PublicKey } from '../crypto/index.js'
import { renderMarkdown } from './markdown.js'
import { REPORT_FORMAT, type PciReportBody } from './report.js'

/**
 * A signed report: the canonical JSON of { body, signature }. The Markdown form is the rendered body
 * followed by that JSON in an HTML comment, so one file is both readable and checkable.
 */
export interface SignedPciReport {
  readonly body: PciReportBody
  readonly signature: {
    readonly algorithm: 'ed25519'
    readonly keyId: string
    readonly publicKey: string
    readonly value: string
  }
}

export interface ReportSigner {
  readonly keyId: string
  readonly publicKey: Buffer
  sign(data: Buffer): Buffer
}

const MARKER = '<!-- moneta-pci-signature'

/** SHA-256 of the body's canonical JSON: what the audit entry records. */
export const reportDigest = (body: PciReportBody): string =>
  createHash('sha256').update(canonicalJson(body)).digest('hex')

export function signReport(body: PciReportBody, signer: ReportSigner): SignedPciReport {
  return {
    body,
    signature: {
      algorithm: 'ed25519',
      keyId: signer.keyId,
      publicKey: signer.publicKey.toString('base64'),
      value: signer.sign(Buffer.from(canonicalJson(body))).toString('base64'),
    },
  }
}

export function formatReport(r: SignedPciReport, format: 'json' | 'md'): string {
  const json = canonicalJson(r)
  return format === 'json' ? `${json}\n` : `${renderMarkdown(r.body)}\n${MARKER}\n${json}\n-->\n`
}

export interface ReportCheck {
  readonly ok: boolean
  readonly problems: readonly string[]
  readonly digest: string | undefined
  readonly keyId: string | undefined
  readonly body: PciReportBody | undefined
}

/**
 * Checks a report file offline: the signature over the body (and, with `pinnedPublicKey`, that it is
 * that key), that the JSON is canonical (no byte changed), and for Markdown that the visible text is
 * exactly the rendering of the signed body.
 */
export function verifyReport(text: string, pinnedPublicKey?: string): ReportCheck {
  const problems: string[] = []
  const at = text.lastIndexOf(MARKER)
  const isMarkdown = at >= 0
  let json = text.trimEnd()
  if (isMarkdown) {
    json = text
      .slice(at + MARKER.length)
      .replace(/-->\s*$/, '')
      .trim()
  }
  let r: Partial<SignedPciReport>
  try {
    r = JSON.parse(json) as Partial<SignedPciReport>
  } catch {
    return {
      ok: false,
      problems: ['no signed report found (not JSON)'],
      digest: undefined,
      keyId: undefined,
      body: undefined,
    }
  }
  if (canonicalJson(r) !== json) problems.push('the signed JSON is not in canonical form: it was edited')
  const body = r.body
  const sig = r.signature
  if (body?.format !== REPORT_FORMAT) problems.push(`format is not ${REPORT_FORMAT}`)
  if (!body || !sig?.publicKey || !sig.value || sig.algorithm !== 'ed25519') {
    problems.push('no body or no Ed25519 signature')
  } else {
    if (pinnedPublicKey && pinnedPublicKey !== sig.publicKey)
      problems.push('signed with another key than the pinned public key')
    let key: KeyObject | undefined
    try {
      key = ed25519PublicKey(Buffer.from(sig.publicKey, 'base64'))
    } catch {
      problems.push('the public key is malformed')
    }
    if (key && !verify(null, Buffer.from(canonicalJson(body)), key, Buffer.from(sig.value, 'base64')))
      problems.push('the signature over the report does not verify: the report was changed after signing')
    if (isMarkdown && `${renderMarkdown(body)}\n` !== text.slice(0, at))
      problems.push('the Markdown text differs from the signed report: it was edited')
  }
  return {
    ok: problems.length === 0,
    problems,
    digest: body ? reportDigest(body) : undefined,
    keyId: sig?.keyId,
    body,
  }
}
