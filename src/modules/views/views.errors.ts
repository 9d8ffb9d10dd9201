import { AppError } from '../../shared/errors.js'

/** Errors of the console's read views (docs/errors.md). */
export const snapshotNotFound = (id: string): AppError =>
  new AppError('SCREENING_SNAPSHOT_NOT_FOUND', 'not_found', `No list snapshot ${id}.`)
