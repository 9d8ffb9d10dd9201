import { readdirSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { git } from './git.js'

/**
 * The files of a working tree. Inside a git repository: what git would commit (tracked files plus
 * untracked ones not ignored by .gitignore), so build output and node_modules are not scanned.
 * Elsewhere, or with `gitignore: false`: every regular file below the root except `.git/`.
 */
export async function listWorktree(root: string, useGit: boolean): Promise<string[]> {
  if (useGit) {
    const out = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
    return [...new Set(out.split('\0').filter(Boolean))]
  }
  return walk(root)
}

function walk(root: string): string[] {
  const files: string[] = []
  const stack = [root]
  while (stack.length > 0) {
    const dir = stack.pop()!
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      continue
    }
    for (const e of entries) {
      const p = join(dir, e.name)
      // Symbolic links are not followed: no cycles, no scanning outside the root.
      if (e.isDirectory()) {
        if (e.name !== '.git') stack.push(p)
      } else if (e.isFile()) {
        files.push(relative(root, p).split(sep).join('/'))
      }
    }
  }
  return files.sort()
}
