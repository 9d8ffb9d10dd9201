/**
 * A redis-server of the test's own, on a spare port, that it may kill and restart (without
 * persistence: a restart loses every key). The shared Redis other suites use is never disturbed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort } from './ports.js'

export interface OwnRedis {
  readonly port: number
  readonly url: string
  /** Starts it (again) on the same port, empty; resolves once it answers PING. */
  start(): Promise<void>
  /** SIGKILLs it; resolves once it has exited. */
  stop(): Promise<void>
}

export async function ownRedisServer(): Promise<OwnRedis> {
  const port = await freePort()
  let server: ChildProcess | undefined
  const own: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      server = spawn(
        'redis-server',
        ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'],
        { stdio: 'ignore' },
      )
      const probe = new Redis(port, '127.0.0.1', {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      })
      probe.on('error', () => undefined)
      try {
        for (let i = 0; ; i++) {
          await probe.connect().catch(() => undefined)
          if ((await probe.ping().catch(() => '')) === 'PONG') return
          if (i > 200) throw new Error(`redis-server on port ${port} did not start`)
          await new Promise((r) => setTimeout(r, 50))
        }
      } finally {
        probe.disconnect()
      }
    },
    async stop() {
      const s = server
      if (!s || s.exitCode !== null || s.signalCode !== null) return
      const exited = new Promise((r) => s.once('exit', r))
      s.kill('SIGKILL')
      await exited
    },
  }
  await own.start()
  return own
}
