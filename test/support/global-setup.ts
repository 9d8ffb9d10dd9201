import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where this run's test files share the migrated PGlite image (pglite-image.ts). */
    pgliteImageDir: string
  }
}

/** Once per `vitest run`: a directory of this run's own, removed at its end. */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'moneta-pglite-image-'))
  project.provide('pgliteImageDir', dir)
  return () => rmSync(dir, { recursive: true, force: true })
}
