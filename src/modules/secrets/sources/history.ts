import { git, gitWithInput } from './git.js'

export interface HistoryBlob {
  readonly oid: string
  /** One path the blob had (the first `git rev-list --objects` saw). */
  readonly path: string
}

/**
 * Every blob reachable from any ref, each once (`git rev-list --objects --all`), optionally only
 * those not reachable from `since` (`--not since`: what a branch or push adds). Blobs larger than
 * `maxBytes` are left out by git's own size listing, before anything is read.
 */
export async function listHistoryBlobs(
  root: string,
  since: string | undefined,
  maxBytes: number,
): Promise<{
  blobs: HistoryBlob[]
  skippedLarge: number
}> {
  const args = ['rev-list', '--objects', '--all', ...(since ? ['--not', since] : [])]
  const listing = await git(root, args)
  const pathOf = new Map<string, string>()
  for (const line of listing.split('\n')) {
    const sp = line.indexOf(' ')
    // Commits are listed without a path; trees and blobs with one.
    if (sp === -1) continue
    const oid = line.slice(0, sp)
    if (!pathOf.has(oid)) pathOf.set(oid, line.slice(sp + 1))
  }
  if (pathOf.size === 0) return { blobs: [], skippedLarge: 0 }
  const checked = await gitWithInput(
    root,
    ['cat-file', '--batch-check=%(objectname) %(objecttype) %(objectsize)'],
    [...pathOf.keys()],
  )
  const blobs: HistoryBlob[] = []
  let skippedLarge = 0
  for (const line of checked.split('\n')) {
    const [oid, type, size] = line.split(' ')
    if (type !== 'blob' || !oid) continue
    if (Number(size) > maxBytes) {
      skippedLarge++
      continue
    }
    blobs.push({ oid, path: pathOf.get(oid)! })
  }
  return { blobs, skippedLarge }
}

/** The commit that first added a blob, its author and date (for findings only: one `git log` each). */
export async function introducedBy(
  root: string,
  oid: string,
): Promise<{ commit: string; author: string; date: string } | undefined> {
  const out = await git(root, ['log', '--all', '--format=%H%x1f%an%x1f%aI', `--find-object=${oid}`])
  const last = out.trim().split('\n').filter(Boolean).at(-1)
  if (!last) return undefined
  const [commit, author, date] = last.split('\x1f')
  return { commit: commit!, author: author!, date: date! }
}

/** The blobs a commit would add (`git diff --cached`): what the pre-commit hook scans. */
export async function listStagedBlobs(root: string): Promise<HistoryBlob[]> {
  const out = await git(root, [
    'diff',
    '--cached',
    '--raw',
    '-z',
    '--no-abbrev',
    '--no-renames',
    '--diff-filter=AM',
  ])
  const parts = out.split('\0')
  const blobs: HistoryBlob[] = []
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i]!.split(' ')
    const oid = meta[3]
    if (oid && parts[i + 1]) blobs.push({ oid, path: parts[i + 1]! })
  }
  return blobs
}
