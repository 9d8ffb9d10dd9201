import type { Rule } from '../types.js'
import { token } from './patterns.js'

/**
 * The body of a PEM block must be key material — lines of base64 (in any wrapping: JSON `\\n`,
 * quoted and concatenated lines, diff `+` prefixes) — not code between a header and a footer string.
 */
function pemBody(secret: string): string | undefined {
  const inner = secret.replace(/^-----BEGIN[^-]*-----/, '').replace(/-----END[^-]*-----$/, '')
  let material = 0
  for (const raw of inner.split(/\\n|\\r|\n/)) {
    const line = raw.trim().replace(/^[+"',\s]+|[\s"',+]+$/g, '')
    if (line === '' || /^[A-Za-z-]+: /.test(line)) continue // blank and RFC 1421 / PGP header lines
    if (!/^=?[A-Za-z0-9+/]+={0,2}$/.test(line)) return 'armour around text that is not key material'
    material += line.length
  }
  return material >= 64 ? undefined : 'armour without key material'
}

function decodeJsonPart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

/** Private keys and signed tokens. */
export const KEY_RULES: readonly Rule[] = [
  {
    id: 'private-key',
    title: 'Private key (PEM, OpenSSH or PGP)',
    severity: 'critical',
    why: 'Whoever holds a private key can sign as, decrypt for, or log in as its owner (TLS, SSH, mutual-TLS clients such as Teller, PGP).',
    keywords: ['private key'],
    maxLength: 16200,
    pattern:
      /(?<secret>-----BEGIN (?<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----[\s\S]{40,16000}?-----END \k<kind>-----)/g,
    printablePrefix: /^-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/,
    reject: pemBody,
  },
  {
    id: 'putty-private-key',
    title: 'PuTTY private key',
    severity: 'critical',
    why: 'An SSH private key in PuTTY format: logs in wherever its public key is authorised.',
    keywords: ['putty-user-key-file'],
    maxLength: 8200,
    pattern: /(?<secret>PuTTY-User-Key-File-[23]: [\s\S]{40,8000}?Private-MAC: [0-9a-f]{40,64})/g,
    printablePrefix: /^PuTTY-User-Key-File-[23]: /,
  },
  {
    id: 'jwt',
    title: 'JSON Web Token',
    severity: 'medium',
    why: 'A signed bearer token: whoever presents it is treated as its subject until it expires (often never checked).',
    keywords: ['eyj'],
    pattern: token('eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{16,}', 'A-Za-z0-9_.-'),
    printablePrefix: /^eyJ/,
    minEntropy: 3.5,
    reject: (s) => {
      const [header, payload] = s.split('.')
      const h = decodeJsonPart(header!)
      if (typeof h !== 'object' || h === null || typeof (h as { alg?: unknown }).alg !== 'string') {
        return 'header is not a JWT header (no "alg")'
      }
      const p = decodeJsonPart(payload!)
      return typeof p === 'object' && p !== null ? undefined : 'payload is not a JSON object'
    },
  },
]
