import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { allMigrations, allRoutines } from '../../src/migrations.js'
import { connect } from '../../src/shared/db/connect.js'
import { migrateToLatest } from '../../src/shared/db/migrate.js'

let image: Promise<Blob> | undefined

/**
 * The data directory of an in-memory PGlite with every migration applied, that the suites' embedded
 * databases start from (ConnectOptions.pgliteImage) instead of creating a cluster and migrating it
 * each (~5–9 s a database on CI's 2 busy cores, ~1.5 s from the image). They still run
 * migrateToLatest on it, which finds nothing to apply. Built once per `vitest run`: the first test
 * file that needs it writes it to the run's directory (global-setup.ts), the others read it, so a
 * change to a migration is always in it.
 */
export function migratedPgliteImage(): Promise<Blob> {
  image ??= readOrBuild()
  image.catch(() => (image = undefined))
  return image
}

async function readOrBuild(): Promise<Blob> {
  const { inject } = await import('vitest')
  const dir = inject('pgliteImageDir') as string | undefined
  const file = dir ? join(dir, 'migrated.tar') : undefined
  if (file && existsSync(file)) return new Blob([readFileSync(file)])
  const h = await connect({})
  try {
    await migrateToLatest(h.db, allMigrations, allRoutines)
    const built = await h.image!()
    if (file) {
      // two workers may both build it: each writes its own file and renames it into place whole
      const tmp = `${file}.${process.pid}`
      writeFileSync(tmp, new Uint8Array(await built.arrayBuffer()))
      renameSync(tmp, file)
    }
    return built
  } finally {
    await h.close()
  }
}
