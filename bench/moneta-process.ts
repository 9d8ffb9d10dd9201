import { spawn, type ChildProcess } from 'node:child_process'

/**
 * `moneta` as a child process for the benches that load it over HTTP as a deployment would
 * (webhooks, payments-async --http). `WEBHOOKS_BENCH_CPU_PROF=DIR` writes a CPU profile of each.
 */

/** Starts `moneta <command>` and resolves once it printed `ready` (stdout for start, stderr for worker). */
export function startMoneta(
  command: 'start' | 'worker' | 'intake',
  env: Record<string, string>,
  ready: string,
  niceness = 0,
  extraArgs: readonly string[] = [],
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const prof = process.env.WEBHOOKS_BENCH_CPU_PROF
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.WEBHOOKS_BENCH_CPU_PROF]
      : []
    // `nice` execs node, so the child's pid is the node process's (its CPU is read from /proc).
    const argv = [process.execPath, ...prof, 'bin/moneta.js', command, ...extraArgs]
    const child = spawn(
      niceness > 0 ? 'nice' : argv[0]!,
      niceness > 0 ? ['-n', String(niceness), ...argv] : argv.slice(1),
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const timer = setTimeout(() => reject(new Error(`moneta ${command} did not start within 180 s`)), 180_000)
    const watch = (chunk: Buffer, out: NodeJS.WriteStream) => {
      out.write(chunk)
      if (chunk.toString().includes(ready)) {
        clearTimeout(timer)
        resolve(child)
      }
    }
    child.stdout.on('data', (c: Buffer) => watch(c, process.stdout))
    child.stderr.on('data', (c: Buffer) => watch(c, process.stderr))
    child.once('exit', (code) => reject(new Error(`moneta ${command} exited with ${code}`)))
  })
}

/** SIGTERM, then waits for the exit. */
export const stopMoneta = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null) return
  child.kill('SIGTERM')
  await new Promise((res) => child.once('exit', res))
}
