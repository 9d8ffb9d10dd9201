import { describe, field, type HttpClient } from '../http.js'
import { badOutcome, seedTenant, snapshot, sweep, type Outcome, type SeedOptions } from '../isolation.js'
import { listOperations } from '../openapi.js'
import { SetupError } from '../operators.js'
import { Findings, type Verdict } from '../report.js'

/** POST /v1/tenants with the platform admin key → a second tenant and its admin key. */
export async function createSecondTenant(admin: HttpClient): Promise<{ id: string; apiKey: string }> {
  const res = await admin.request('POST', '/v1/tenants', { body: { name: `attack-b-${Date.now()}` } })
  const apiKey = field<string>(res, 'apiKey')
  if (res.status !== 201 || !apiKey)
    throw new SetupError(`create tenant B: ${describe(res)} (want 201 {id, apiKey})`)
  return { id: String(field(res, 'id')), apiKey }
}

/**
 * Tenant A (the admin key's) makes one object of each kind; tenant B's key then calls every route of
 * the OpenAPI document with A's ids. Nothing may find, leak or change A's objects.
 */
export async function checkCrossTenant(
  a: HttpClient,
  b: HttpClient,
  opts: SeedOptions = {},
): Promise<Verdict> {
  const f = new Findings()
  const seed = await seedTenant(a, opts)
  if (!opts.sandboxWebhookSecret)
    f.note('no stray charge seeded: pass --sandbox-webhook-secret (only a gateway webhook makes one)')
  for (const failure of seed.failures) f.expect(false, `could not make tenant A's object: ${failure}`)
  f.note(`tenant A objects: ${seed.objects.map((o) => `${o.kind} ${o.id}`).join(', ')}`)
  const before = await snapshot(a, seed)
  const probes = await sweep(b, await listOperations(a), seed)
  const counts: Partial<Record<Outcome, number>> = {}
  for (const p of probes) {
    counts[p.outcome] = (counts[p.outcome] ?? 0) + 1
    if (badOutcome(p.outcome)) f.expect(false, p.line)
  }
  const after = await snapshot(a, seed)
  for (const [name, was] of before) {
    const now = after.get(name)
    f.expect(
      now === was,
      `A's ${name} ${now === was ? 'unchanged' : `changed: ${was.slice(0, 120)} → ${now?.slice(0, 120)}`}`,
    )
  }
  f.figures = { requests: probes.length, ...counts }
  f.expect(
    probes.length > 0,
    `${probes.length} requests with B's key: ${Object.entries(counts)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}`,
  )
  return f.verdict()
}
