import { describe, errorCode, field, type Exchange, type HttpClient } from '../http.js'
import { Findings, type Verdict } from '../report.js'

/**
 * Checks for security findings 1–4 of issue 15, replayed as an outside attacker would: a tenant's
 * regex that stalls the server, webhooks aimed at our own network, keys and operators minted beyond
 * the caller's grants, and card numbers revealed through a wildcard.
 */

const ok2xx = (x: Exchange): boolean => x.status >= 200 && x.status < 300

/** Finding 1: a ReDoS rule and one dry-run must not block other requests. */
export async function checkRuleRedos(a: HttpClient, anon: HttpClient): Promise<Verdict> {
  const f = new Findings()
  const rule = (id: string, when: string) => ({ id, when, outcome: 'review', score: 1, reason: 'attack' })
  const saved = await a.request('POST', '/v1/monitoring/rule-sets', {
    body: { note: 'attack: redos', rules: [rule('redos', "txn.src.matches('^(a+)+$')")] },
  })
  const version = field<number>(saved, 'version')
  if (
    !f.expect(saved.status === 201 && typeof version === 'number', `${describe(saved)} (want 201, a draft)`)
  )
    return f.verdict()
  // while the dry-run runs, another client asks for /health every 50 ms
  const latencies: number[] = []
  let running = true
  const probe = (async () => {
    while (running) {
      const t0 = performance.now()
      await anon.request('GET', '/health', { token: null })
      latencies.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  const t0 = performance.now()
  const evil = `${'a'.repeat(100)}b` // a valid id; the final b makes a backtracking engine try 2¹⁰⁰ splits
  const dry = await a.request('POST', '/v1/monitoring/evaluate', {
    body: {
      id: `atk-redos-${Date.now()}`,
      amount: '100',
      currency: 'USD',
      kind: 'transfer',
      src: evil,
      dst: 'b',
      version,
      dryRun: true,
    },
  })
  const dryMs = performance.now() - t0
  running = false
  await probe
  const worst = Math.max(0, ...latencies)
  f.expect(
    dry.status === 200 && dryMs < 5_000,
    `dry-run of '^(a+)+$' on "a×100 b": ${describe(dry)} in ${Math.round(dryMs)} ms (want 200 in < 5 s)`,
  )
  f.expect(
    worst < 2_000,
    `GET /health during it: worst ${Math.round(worst)} ms over ${latencies.length} calls (want < 2 s)`,
  )
  // a rule whose comprehensions nest to ~10⁷ steps is refused at save time (the API caps `when` at 4,000 chars)
  const list = `[${Array.from({ length: 250 }, (_, i) => i).join(',')}]`
  const costly = await a.request('POST', '/v1/monitoring/rule-sets', {
    body: { rules: [rule('nested', `${list}.all(x, ${list}.all(y, ${list}.all(z, x + y + z >= 0)))`)] },
  })
  f.expect(
    costly.status === 400 && errorCode(costly) === 'MONITORING_RULE_INVALID',
    `three nested comprehensions over 250 elements (1.6 × 10⁷ steps): ${describe(costly)} (want 400 MONITORING_RULE_INVALID)`,
  )
  f.figures = { dryRunMs: Math.round(dryMs), worstHealthMs: Math.round(worst) }
  return f.verdict()
}

/** Finding 2: webhook endpoints aimed at loopback, private, metadata and IPv4-embedding IPv6 addresses. */
export async function checkWebhookSsrf(a: HttpClient): Promise<Verdict> {
  const f = new Findings()
  const port = new URL(a.baseUrl).port || '80'
  const health = await a.request('GET', '/health', { token: null })
  const healthText = JSON.stringify(health.body)
  const targets = [
    `http://127.0.0.1:${port}/health`,
    `http://localhost:${port}/health`,
    `https://127.0.0.1:${port}/health`,
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/', // IPv4-mapped
    'https://[::127.0.0.1]/', // IPv4-compatible (::/96)
    'https://[2002:7f00:1::1]/', // 6to4 of 127.0.0.1
    'https://[fd00::1]/',
    'https://0x7f000001/',
  ]
  for (const url of targets) {
    const r = await a.request('POST', '/v1/webhook-endpoints', { body: { url, description: 'attack: ssrf' } })
    const refused = r.status === 400 && /^WEBHOOK_URL_(PRIVATE|INSECURE)$/.test(errorCode(r) ?? '')
    if (refused) {
      f.expect(true, `${url}: ${describe(r)}`)
      continue
    }
    f.expect(false, `${url}: ${describe(r)} (want 400 WEBHOOK_URL_PRIVATE or WEBHOOK_URL_INSECURE)`)
    const id = field<string>(r, 'id') ?? field<{ id?: string }>(r, 'endpoint')?.id
    if (!ok2xx(r) || !id) continue
    // accepted: the test call must at least not echo what our own service answered
    const tested = await a.request('POST', `/v1/webhook-endpoints/${id}/test`)
    const echoed = healthText.length > 4 && JSON.stringify(tested.body).includes(healthText.slice(1, -1))
    f.expect(!echoed, `test call to ${url} ${echoed ? 'echoed' : 'did not echo'} the target's response body`)
    await a.request('DELETE', `/v1/webhook-endpoints/${id}`)
  }
  return f.verdict()
}

/** Finding 3: keys and operators minted beyond the caller's own grants; keys revoked from below. */
export async function checkPrivilegeEscalation(a: HttpClient): Promise<Verdict> {
  const f = new Findings()
  const made: string[] = []
  const key = async (scopes: string[]) => {
    const r = await a.request('POST', '/v1/api-keys', { body: { name: 'attack: privilege', scopes } })
    const id = field<string>(r, 'id')
    const k = field<string>(r, 'key')
    if (r.status !== 201 || !id || !k)
      throw new Error(`create a key with ${scopes.join(',')}: ${describe(r)}`)
    made.push(id)
    return { id, client: a.as(k) }
  }
  try {
    const opsOnly = await key(['operators:admin'])
    const admin = await opsOnly.client.request('POST', '/v1/operators', {
      body: {
        email: `attack-esc-${Date.now()}@victim.example`,
        password: 'granite-lantern-orchid-71',
        role: 'admin',
      },
    })
    f.expect(
      admin.status === 403,
      `key scoped operators:admin creates an admin operator: ${describe(admin)} (want 403)`,
    )
    const keysOnly = await key(['api_keys:admin'])
    const star = await keysOnly.client.request('POST', '/v1/api-keys', { body: { name: 'x', scopes: ['*'] } })
    f.expect(star.status === 403, `key scoped api_keys:admin mints a * key: ${describe(star)} (want 403)`)
    const strong = await key(['*'])
    const revoke = await keysOnly.client.request('DELETE', `/v1/api-keys/${strong.id}`)
    f.expect(
      revoke.status === 403,
      `key scoped api_keys:admin revokes a * key: ${describe(revoke)} (want 403)`,
    )
    const rotate = await keysOnly.client.request('POST', `/v1/api-keys/${strong.id}/rotate`, { body: {} })
    f.expect(rotate.status === 403, `… rotates it: ${describe(rotate)} (want 403)`)
    const still = await strong.client.request('GET', '/v1/api-keys')
    f.expect(still.status === 200, `the * key still works afterwards: ${describe(still)}`)
  } finally {
    for (const id of made) await a.request('DELETE', `/v1/api-keys/${id}`)
  }
  return f.verdict()
}

/** Finding 4: a tenant admin (`*`) and `vault:*` neither reveal a card number nor mint a key that does. */
export async function checkDetokenizeWildcard(tenantAdmin: HttpClient): Promise<Verdict> {
  const f = new Findings()
  const pan = '4000056655665556'
  const card = await tenantAdmin.request('POST', '/v1/vault/cards', {
    body: { pan, expMonth: 9, expYear: 2032 },
  })
  const token = field<string>(card, 'token')
  if (!f.expect(ok2xx(card) && typeof token === 'string', `tokenize a card: ${describe(card)}`))
    return f.verdict()
  const direct = await tenantAdmin.request('POST', `/v1/vault/cards/${token}/detokenize`)
  f.expect(
    direct.status === 403 && !JSON.stringify(direct.body).includes(pan),
    `tenant admin (*) detokenizes: ${describe(direct)} (want 403)`,
  )
  for (const scopes of [['vault:detokenize'], ['vault:*', 'vault:detokenize']]) {
    const r = await tenantAdmin.request('POST', '/v1/api-keys', { body: { name: 'attack: detok', scopes } })
    f.expect(
      r.status === 403,
      `tenant admin (*) mints a key with ${scopes.join(', ')}: ${describe(r)} (want 403)`,
    )
    const id = field<string>(r, 'id')
    if (id) await tenantAdmin.request('DELETE', `/v1/api-keys/${id}`)
  }
  const vaultAll = await tenantAdmin.request('POST', '/v1/api-keys', {
    body: { name: 'attack: vault', scopes: ['vault:*'] },
  })
  const k = field<string>(vaultAll, 'key')
  if (k) {
    const r = await tenantAdmin.as(k).request('POST', `/v1/vault/cards/${token}/detokenize`)
    f.expect(
      r.status === 403 && !JSON.stringify(r.body).includes(pan),
      `a vault:* key detokenizes: ${describe(r)} (want 403)`,
    )
    await tenantAdmin.request('DELETE', `/v1/api-keys/${String(field(vaultAll, 'id'))}`)
  } else f.note(`vault:* key not made: ${describe(vaultAll)}`)
  return f.verdict()
}
