/**
 * `moneta start` (or another serving command, `moneta intake`) as deployed, in a child process
 * (bin/moneta.js), for tests that kill it: started on a free port with the given environment, killed
 * with any signal, started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { freePort } from './ports.js'

export interface MonetaServer {
  readonly url: string
  /** Starts the process and resolves once /health answers. */
  start(): Promise<void>
  /** Sends the signal (SIGKILL by default) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Whether the process is running (false after it exited by itself: a crash). */
  alive(): boolean
  /** The last lines of its output, for failure messages. */
  log(): string
  /** The process id (of the primary, for a cluster); 0 before start. */
  pid(): number
}

/** `command`: the CLI's arguments (`moneta start` by default; `['intake', '--processes', '2']`…). */
export async function monetaServer(
  env: Record<string, string>,
  command: readonly string[] = ['start'],
): Promise<MonetaServer> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null
  return {
    url,
    alive,
    log: () => output,
    pid: () => child?.pid ?? 0,
    async start() {
      child = spawn('node', ['bin/moneta.js', ...command], {
        env: {
          ...process.env,
          MONETA_CONFIG_FILE: '',
          LOG_LEVEL: 'warn',
          ...env,
          PORT: String(port),
          MONETA_INTAKE_PORT: String(port),
          HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout?.on('data', keep)
      child.stderr?.on('data', keep)
      for (let i = 0; ; i++) {
        if (!alive()) throw new Error(`moneta ${command.join(' ')} exited:\n${output}`)
        const ok = await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
        if (ok) return
        if (i > 600) throw new Error(`moneta ${command.join(' ')} did not answer /health:\n${output}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async kill(signal = 'SIGKILL') {
      const c = child
      if (!c || !alive()) return
      const exited = new Promise((r) => c.once('exit', r))
      c.kill(signal)
      await exited
    },
  }
}
