import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, relative, resolve, sep } from 'node:path'
import { createAccumulator, DEFAULT_MAX_FILE_BYTES, type Accumulator } from './accumulator.js'
import { readBaseline } from './baseline.js'
import { loadIgnoreFile, type PathFilter } from './ignore-file.js'
import { secretsError } from './secrets.errors.js'
import { gitTopLevel, readBlobs } from './sources/git.js'
import { introducedBy, listHistoryBlobs, listStagedBlobs, type HistoryBlob } from './sources/history.js'
import { listWorktree } from './sources/worktree.js'
import type { Finding, ScanResult } from './types.js'

export interface ScanOptions {
  /** Scan every blob of the git history (each once) instead of the working tree. */
  readonly history?: boolean
  /** With history: only blobs not reachable from this ref (`--since origin/main`). Implies history. */
  readonly since?: string
  /** Scan what `git commit` would record (the pre-commit hook). */
  readonly staged?: boolean
  /** A baseline file (see baseline.ts): its fingerprints are accepted. */
  readonly baseline?: string
  /** Another ignore file than `<root>/.moneta-secrets-ignore`. */
  readonly ignoreFile?: string
  /** Inside a git work tree, list files as git does (default true); false walks every file. */
  readonly gitignore?: boolean
  readonly maxFileBytes?: number
  /** Called after each file or blob (progress bars, benchmarks). */
  readonly onFile?: (path: string, findings: readonly Finding[]) => void
}

/**
 * Scans a path: a file, a directory (working tree), or with `history`/`since`/`staged` the git
 * repository containing it. Findings' paths are relative to the repository top level in git
 * modes and to the scanned directory otherwise.
 */
export async function scanPath(path: string, opts: ScanOptions = {}): Promise<ScanResult> {
  const target = resolve(path)
  if (!existsSync(target)) throw secretsError('SECRETS_PATH_NOT_FOUND', target)
  const isFile = statSync(target).isFile()
  const dir = isFile ? dirname(target) : target
  const top = await gitTopLevel(dir)
  const acc = createAccumulator({
    maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    ...(opts.baseline ? { baseline: readBaseline(opts.baseline) } : {}),
  })

  if (opts.history || opts.since || opts.staged) {
    if (!top) throw secretsError('SECRETS_NOT_A_GIT_REPOSITORY', dir)
    const ignored = loadIgnoreFile(top, opts.ignoreFile)
    await scanBlobs(top, acc, ignored, opts)
    return acc.result()
  }

  if (isFile) {
    const rel = basename(target)
    add(acc, rel, readFileSync(target), opts)
    return acc.result()
  }

  const useGit = opts.gitignore !== false && top !== undefined
  const base = useGit ? top : target
  const ignored = loadIgnoreFile(base, opts.ignoreFile)
  const prefix = relative(base, target).split(sep).join('/')
  for (const rel of await listWorktree(target, useGit)) {
    const fromBase = prefix ? `${prefix}/${rel}` : rel
    if (ignored(fromBase)) {
      acc.ignored()
      continue
    }
    let content: Buffer
    try {
      const full = resolve(target, rel)
      const st = statSync(full)
      if (!st.isFile()) continue
      if (st.size > (opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES)) {
        acc.tooLarge()
        continue
      }
      content = readFileSync(full)
    } catch {
      continue // listed by git but deleted from the tree since
    }
    add(acc, rel, content, opts)
  }
  return acc.result()
}

function add(acc: Accumulator, path: string, content: Buffer, opts: ScanOptions, blob?: string): void {
  const found = acc.add(path, content, blob ? { blob } : undefined)
  opts.onFile?.(path, found)
}

async function scanBlobs(
  top: string,
  acc: Accumulator,
  ignored: PathFilter,
  opts: ScanOptions,
): Promise<void> {
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  let blobs: HistoryBlob[]
  if (opts.staged) {
    blobs = await listStagedBlobs(top)
  } else {
    const listed = await listHistoryBlobs(top, opts.since, maxBytes)
    blobs = listed.blobs
    for (let i = 0; i < listed.skippedLarge; i++) acc.tooLarge()
  }
  const wanted = blobs.filter((b) => {
    if (!ignored(b.path)) return true
    acc.ignored()
    return false
  })
  const pathOf = new Map(wanted.map((b) => [b.oid, b.path]))
  for await (const blob of readBlobs(top, [...pathOf.keys()])) {
    add(acc, pathOf.get(blob.oid)!, blob.content, opts, blob.oid)
  }
}

/** Adds the commit that introduced each history finding's blob (one `git log` per distinct blob). */
export async function attributeCommits(path: string, result: ScanResult): Promise<ScanResult> {
  const top = await gitTopLevel(resolve(path))
  if (!top) return result
  const cache = new Map<string, Awaited<ReturnType<typeof introducedBy>>>()
  const findings: Finding[] = []
  for (const f of result.findings) {
    if (!f.blob) {
      findings.push(f)
      continue
    }
    if (!cache.has(f.blob)) cache.set(f.blob, await introducedBy(top, f.blob))
    const c = cache.get(f.blob)
    findings.push(c ? { ...f, commit: c.commit, author: c.author, date: c.date } : f)
  }
  return { ...result, findings }
}

/** Scans in-memory files (tests, benchmarks, other modules checking generated configuration). */
export function scanFiles(
  files: Iterable<{ readonly path: string; readonly content: string | Buffer }>,
  opts: Pick<ScanOptions, 'maxFileBytes'> & { baseline?: ReadonlySet<string> } = {},
): ScanResult {
  const acc = createAccumulator(opts)
  for (const f of files) acc.add(f.path, f.content)
  return acc.result()
}
