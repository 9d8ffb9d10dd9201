import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface CliResult {
  readonly code: number
  readonly out: string
  readonly err: string
}

/**
 * Runs the real `moneta` binary (bin/moneta.js) with the environment of a fresh embedded install:
 * no PostgreSQL, no Redis, no config file, quiet logs — plus the overrides (a data dir, …).
 */
export function monetaCli(
  overrides: Record<string, string>,
  opts: { timeoutMs?: number } = {},
): (...args: string[]) => Promise<CliResult> {
  const env = {
    ...process.env,
    DATABASE_URL: '',
    REDIS_URL: '',
    MONETA_CONFIG_FILE: '',
    LOG_LEVEL: 'silent',
    ...overrides,
  }
  return async (...args) => {
    try {
      const r = await run('node', ['bin/moneta.js', ...args], { env, timeout: opts.timeoutMs ?? 60_000 })
      return { code: 0, out: r.stdout, err: r.stderr }
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string }
      return { code: x.code, out: x.stdout, err: x.stderr }
    }
  }
}
