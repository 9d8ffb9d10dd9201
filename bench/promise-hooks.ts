import { AsyncLocalStorage } from 'node:async_hooks'
import { createHmac, randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import { arg, load, log, round } from './args.js'

/**
 * npm run bench -- promise-hooks [--requests N] [--rounds N] [--concurrency N]
 * What entering one AsyncLocalStorage costs every request of a process on this Node (ADR 0212): a
 * Fastify route shaped like the webhook receipt (JSON body, HMAC check, a dozen awaits, one yield to
 * the event loop as a database round trip would) answers `app.inject` requests in process, in rounds
 * alternating without any AsyncLocalStorage and with one entered (its promise hooks on, for the whole
 * process, as Moneta's request scope did). Figures: CPU µs per request of each kind of round.
 * No database, no sockets: the tax in isolation, not the API's cost (bench/webhooks.ts is that).
 */
export async function main(args: string[]): Promise<void> {
  const requests = arg(args, 'requests', 20_000)
  const rounds = arg(args, 'rounds', 4)
  const concurrency = arg(args, 'concurrency', 32)
  const secret = randomBytes(32)
  const app = Fastify({ logger: false })
  // Async hooks, as Moneta's are: each one's promise is one more for the hooks to see.
  app.addHook('onRequest', async () => {
    await Promise.resolve()
  })
  app.addHook('onSend', async (_req, _reply, payload) => {
    await Promise.resolve()
    return payload
  })
  app.post('/hook', async (req) => {
    const body = JSON.stringify(req.body)
    const sig = createHmac('sha256', secret).update(body).digest('hex')
    let n = 0
    for (let i = 0; i < 12; i++) n += await Promise.resolve(i)
    await new Promise((r) => setImmediate(r))
    return { ok: sig.length > 0 && n > 0, duplicate: false }
  })
  await app.ready()
  const payload = {
    id: 'evt_1',
    type: 'payment.captured',
    data: { ref: 'ref_1', amount: '1000', currency: 'USD' },
  }

  async function round_(): Promise<number> {
    const cpu0 = process.cpuUsage()
    let next = 0
    const client = async () => {
      while (next < requests) {
        next++
        await app.inject({ method: 'POST', url: '/hook', payload })
      }
    }
    await Promise.all(Array.from({ length: concurrency }, client))
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / requests
  }

  const als = new AsyncLocalStorage<object>()
  await round_() // warm-up
  const without: number[] = []
  const withAls: number[] = []
  for (let i = 0; i < rounds; i++) {
    als.disable() // no storage enabled: Node removes its promise hooks
    without.push(await round_())
    als.enterWith({}) // the first storage entered installs them, process-wide
    withAls.push(await round_())
  }
  als.disable()
  await app.close()
  const fmt = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ')
  log(`node ${process.version}; ${requests} requests per round, ${concurrency} at a time; load ${load()}`)
  log(`CPU µs per request without AsyncLocalStorage: ${fmt(without)}`)
  log(`CPU µs per request with one entered:          ${fmt(withAls)}`)
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  log(
    JSON.stringify({
      bench: 'promise-hooks',
      node: process.version,
      without_us: round(median(without)),
      with_als_us: round(median(withAls)),
      tax_pct: round((median(withAls) / median(without) - 1) * 100),
      load: load(),
    }),
  )
}
