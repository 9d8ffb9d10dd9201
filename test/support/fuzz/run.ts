import fc from 'fast-check'
import { requestArb, type FuzzRequest, type Operation, type RequestOptions } from './requests.js'

export interface FuzzResponse {
  readonly status: number
  readonly body: string
}

/** A response that breaks the edge's contract. */
export interface Finding {
  readonly index: number
  readonly problem: string
  readonly request: FuzzRequest
  readonly status: number
  readonly body: string
}

export interface FuzzReport {
  readonly seed: number
  readonly requests: number
  readonly byStatus: Record<string, number>
  readonly operations: number
  readonly findings: readonly Finding[]
  /** The slowest requests (ms), to spot a route that stalls. */
  readonly slowest: readonly { ms: number; kind: string; route: string }[]
}

export interface FuzzOptions extends Omit<RequestOptions, 'knownStrings'> {
  readonly seed: number
  readonly budget: number
  readonly operations: readonly Operation[]
  readonly documentedCodes: ReadonlySet<string>
  send(req: FuzzRequest): Promise<FuzzResponse>
  /** A request unanswered after this long is a finding (a stalled event loop or a hung handler). */
  readonly timeoutMs?: number
  /** Ids never offered to requests (the fuzzer's own API key: revoking it would end the run). */
  readonly protectedIds?: readonly string[]
  readonly progress?: (done: number) => void
}

const ID_LIKE = /"(?:id|[a-z]+Id)":"([a-z]{2,6}_[A-Za-z0-9_-]{6,64})"/g

/** The error code of a 4xx body in our shape ({"error":{"code":…}}), or undefined. */
export function errorCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } }
    return typeof parsed.error?.code === 'string' ? parsed.error.code : undefined
  } catch {
    return undefined
  }
}

/**
 * Sends `budget` requests, round-robin over the operations, each drawn from the operation's
 * arbitrary with seed `seed + index` (so a finding is replayed by its index and seed). Ids that
 * responses return feed later requests, so handlers are reached past "not found".
 */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const known: string[] = []
  const reqOpts: RequestOptions = { ...opts, knownStrings: () => known }
  const arbs = opts.operations.map((op) => requestArb(op, reqOpts))
  const byStatus: Record<string, number> = {}
  const findings: Finding[] = []
  const slowest: { ms: number; kind: string; route: string }[] = []
  for (let i = 0; i < opts.budget; i++) {
    const arb = arbs[i % arbs.length]!
    const [req] = fc.sample(arb, { seed: opts.seed + i, numRuns: 1 })
    if (!req) continue
    const t0 = performance.now()
    const res = await withTimeout(opts.send(req), opts.timeoutMs ?? 15_000)
    const ms = performance.now() - t0
    slowest.push({ ms: Math.round(ms), kind: req.kind, route: `${req.method} ${req.url.slice(0, 80)}` })
    slowest.sort((a, b) => b.ms - a.ms).splice(10)
    if (i % 250 === 249) opts.progress?.(i + 1)
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1
    const problem = check(res, opts.documentedCodes)
    if (problem)
      findings.push({ index: i, problem, request: req, status: res.status, body: res.body.slice(0, 500) })
    if (res.status < 300 && known.length < 500) {
      for (const m of res.body.matchAll(ID_LIKE)) {
        const id = m[1]!
        if (!known.includes(id) && !opts.protectedIds?.includes(id)) known.push(id)
      }
    }
  }
  return {
    seed: opts.seed,
    requests: opts.budget,
    byStatus,
    operations: opts.operations.length,
    findings,
    slowest,
  }
}

const TIMED_OUT = -1

async function withTimeout(p: Promise<FuzzResponse>, ms: number): Promise<FuzzResponse> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<FuzzResponse>((resolve) => {
    timer = setTimeout(() => resolve({ status: TIMED_OUT, body: `no answer within ${ms} ms` }), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function check(res: FuzzResponse, documented: ReadonlySet<string>): string | undefined {
  if (res.status === TIMED_OUT) return 'no answer'
  if (res.status >= 500) return `status ${res.status}`
  if (res.status >= 400) {
    const code = errorCodeOf(res.body)
    if (!code) return `status ${res.status} without {"error":{"code"}}`
    if (!documented.has(code)) return `code ${code} is not in docs/errors.md`
  }
  return undefined
}

/** Every `CODE` docs/errors.md names, in its tables or its prose sections. */
export function documentedErrorCodes(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{4,})`/g)].map((m) => m[1]!))
}

/** Findings grouped by problem and route, for a readable failure message. */
export function summarize(report: FuzzReport): string {
  const groups = new Map<string, Finding[]>()
  for (const f of report.findings) {
    const route = `${f.request.method} ${f.request.url.split('?')[0]!.slice(0, 80)}`
    const key = `${f.problem} · ${f.request.kind} · ${route.replace(/\/[^/]{40,}/g, '/<long>')}`
    groups.set(key, [...(groups.get(key) ?? []), f])
  }
  const lines = [
    `fuzz seed ${report.seed}: ${report.findings.length} finding(s) in ${report.requests} requests`,
  ]
  for (const [key, list] of groups) {
    const f = list[0]!
    lines.push(
      `- ${key} ×${list.length} (first: #${f.index}) body ${f.body.slice(0, 200)}`,
      `    request ${JSON.stringify({ ...f.request, url: f.request.url.slice(0, 200), payload: f.request.payload?.slice(0, 300) })}`,
    )
  }
  return lines.join('\n')
}
