import { randomBytes } from 'node:crypto'
import { describe, errorCode, type HttpClient } from '../http.js'
import { fillPath, listOperations } from '../openapi.js'
import { Findings, type Verdict } from '../report.js'

/** Authorization headers an outsider can send: none, made up, or mangled. */
export function badCredentials(realKey: string | undefined): { label: string; header: string | null }[] {
  const rand = randomBytes(24).toString('base64url')
  const out: { label: string; header: string | null }[] = [
    { label: 'no Authorization header', header: null },
    { label: 'bogus API key', header: `Bearer mk_${rand}` },
    { label: 'bogus session token', header: `Bearer ses_${rand}` },
    { label: 'Basic scheme', header: `Basic ${Buffer.from('admin:admin').toString('base64')}` },
    { label: '"Bearer" with no token', header: 'Bearer' },
    { label: 'token with a space inside', header: `Bearer mk_${rand} extra` },
  ]
  if (realKey) out.push({ label: 'the real key without "Bearer "', header: realKey })
  return out
}

/** Every non-public operation of the OpenAPI document, with every bad credential → 401 UNAUTHENTICATED. */
export async function checkMissingCredentials(
  http: HttpClient,
  realKey: string | undefined,
): Promise<Verdict> {
  const f = new Findings()
  const ops = await listOperations(http)
  const guarded = ops.filter((o) => !o.public)
  const variants = badCredentials(realKey)
  f.figures = { operations: ops.length, guarded: guarded.length, variants: variants.length }
  let requests = 0
  for (const op of guarded) {
    const path = fillPath(op, () => 'attack-probe')
    for (const v of variants) {
      requests++
      const res = await http.request(op.method, path, {
        token: null,
        headers: v.header === null ? {} : { authorization: v.header },
        ...(op.hasBody ? { body: {} } : {}),
      })
      const ok = res.status === 401 && errorCode(res) === 'UNAUTHENTICATED'
      if (!ok) f.expect(false, `${describe(res)} with ${v.label} (want 401 UNAUTHENTICATED)`)
    }
  }
  f.figures.requests = requests
  f.expect(
    guarded.length > 0,
    `${guarded.length} guarded operations × ${variants.length} bad credentials = ${requests} requests; ` +
      `${requests - f.failures} answered 401 UNAUTHENTICATED (${ops.length - guarded.length} public operations skipped)`,
  )
  return f.verdict()
}
