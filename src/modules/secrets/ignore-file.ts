import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import ignoreModule from 'ignore'

// A CommonJS package: under NodeNext its factory is the module's `default` property.
const ignore = ignoreModule.default

/**
 * `.moneta-secrets-ignore` at the repository (or scanned directory) root: gitignore syntax, for
 * paths that are not to be scanned at all (this repository lists its planted-secret corpus there).
 * Prefer an inline `moneta-scan: allow` or a baseline for single values: they keep the rest of the
 * file scanned.
 */
export const IGNORE_FILE = '.moneta-secrets-ignore'

export type PathFilter = (relativePath: string) => boolean

export function loadIgnoreFile(root: string, file?: string): PathFilter {
  const path = file ?? join(root, IGNORE_FILE)
  if (!existsSync(path)) return () => false
  const ig = ignore().add(readFileSync(path, 'utf8'))
  return (p) => p !== '' && !p.startsWith('../') && ig.ignores(p)
}
