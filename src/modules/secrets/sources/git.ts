import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { secretsError } from '../secrets.errors.js'

const run = promisify(execFile)

/** Runs git and returns stdout; SECRETS_GIT_FAILED with git's own message otherwise. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 1 << 30, encoding: 'utf8' })
    return stdout
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim()
    throw secretsError('SECRETS_GIT_FAILED', `git ${args.join(' ')}: ${stderr || String(err)}`, err)
  }
}

/** The repository's top-level directory, or undefined outside a work tree. */
export async function gitTopLevel(cwd: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8' })
    return stdout.trim() || undefined
  } catch {
    return undefined
  }
}

export interface Blob {
  readonly oid: string
  readonly content: Buffer
}

/**
 * Reads objects through one `git cat-file --batch` process: one process for any number of blobs,
 * which is what makes a whole-history scan fast. Yields blobs in the order asked.
 */
export async function* readBlobs(cwd: string, oids: readonly string[]): AsyncGenerator<Blob> {
  if (oids.length === 0) return
  const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  // Fed asynchronously so a large list cannot deadlock against the unread stdout pipe.
  child.stdin.on('error', () => undefined)
  child.stdin.end(`${oids.join('\n')}\n`)

  // Chunks are kept in a list and joined once enough bytes for the next object have arrived, so a
  // large blob costs one copy rather than one per 64 KB chunk.
  const pending: Buffer[] = []
  let pendingBytes = 0
  let need: { oid: string; size: number } | undefined
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    pending.push(chunk)
    pendingBytes += chunk.length
    if (need && pendingBytes < need.size + 1) continue
    let buf = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes)
    pending.length = 0
    for (;;) {
      if (!need) {
        const nl = buf.indexOf(0x0a)
        if (nl === -1) break
        const header = buf.subarray(0, nl).toString('utf8').split(' ')
        buf = buf.subarray(nl + 1)
        if (header[1] === 'missing') continue
        need = { oid: header[0]!, size: Number(header[2]) }
      }
      if (buf.length < need.size + 1) break
      yield { oid: need.oid, content: Buffer.from(buf.subarray(0, need.size)) }
      buf = buf.subarray(need.size + 1)
      need = undefined
    }
    if (buf.length > 0) pending.push(buf)
    pendingBytes = buf.length
  }
  const code = await exited
  if (code !== 0) throw secretsError('SECRETS_GIT_FAILED', `git cat-file --batch: ${stderr.trim()}`)
}

/** Runs git with `lines` on stdin (for `--batch-check` and friends). */
export function gitWithInput(
  cwd: string,
  args: readonly string[],
  lines: readonly string[],
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', (e) => reject(secretsError('SECRETS_GIT_FAILED', `git ${args.join(' ')}`, e)))
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(secretsError('SECRETS_GIT_FAILED', `git ${args.join(' ')}: ${err.trim()}`)),
    )
    child.stdin.on('error', () => undefined)
    child.stdin.end(`${lines.join('\n')}\n`)
  })
}
