import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { secretsError } from './secrets.errors.js'
import { git, gitTopLevel } from './sources/git.js'

const MARKER = '# installed by `moneta scan-secrets --install-hook`'

/** The `moneta` launcher of this installation, so the hook works without moneta on PATH. */
const LAUNCHER = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/moneta.js')

/**
 * Writes `.git/hooks/pre-commit` (or wherever core.hooksPath points): scans the staged blobs and
 * refuses the commit on a finding. A hook we did not write is kept unless `force`.
 */
export async function installHook(
  path: string,
  opts: { force?: boolean; baseline?: string } = {},
): Promise<string> {
  const top = await gitTopLevel(resolve(path))
  if (!top) throw secretsError('SECRETS_NOT_A_GIT_REPOSITORY', resolve(path))
  const hooksDir = resolve(top, (await git(top, ['rev-parse', '--git-path', 'hooks'])).trim())
  const file = join(hooksDir, 'pre-commit')
  if (existsSync(file) && !readFileSync(file, 'utf8').includes(MARKER) && !opts.force) {
    throw secretsError('SECRETS_HOOK_EXISTS', file)
  }
  const baseline = opts.baseline ? ` --baseline ${shellQuote(resolve(opts.baseline))}` : ''
  const script = [
    '#!/bin/sh',
    MARKER,
    '# Refuses a commit that adds a secret. Accept a value with an inline `moneta-scan: allow` comment',
    '# or a baseline (docs/secrets.md); bypass once with `git commit --no-verify`.',
    `if [ -f ${shellQuote(LAUNCHER)} ]; then`,
    `  exec node ${shellQuote(LAUNCHER)} scan-secrets --staged${baseline}`,
    'fi',
    `exec moneta scan-secrets --staged${baseline}`,
    '',
  ].join('\n')
  mkdirSync(hooksDir, { recursive: true })
  writeFileSync(file, script)
  chmodSync(file, 0o755)
  return file
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
