import { createHash } from 'node:crypto'

/**
 * Never print a whole secret: the rule's fixed prefix (`sk_live_`, `-----BEGIN RSA PRIVATE KEY-----`)
 * plus at most four characters, and never more than a quarter of the variable part.
 */
export function redact(secret: string, printablePrefix?: RegExp): string {
  const prefix = printablePrefix?.exec(secret)?.[0] ?? ''
  const body = secret.slice(prefix.length).replace(/\s+/g, '')
  const shown = Math.min(4, Math.floor(body.length / 4))
  return `${prefix}${body.slice(0, shown)}…(${secret.length} chars)`
}

/** Location-independent identity of a finding: a baseline survives moved files and edited lines. */
export function fingerprint(ruleId: string, secret: string): string {
  return createHash('sha256').update(`moneta-scan/v1\0${ruleId}\0${secret}`).digest('hex').slice(0, 32)
}
