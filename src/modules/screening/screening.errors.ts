import { AppError } from '../../shared/errors.js'

/** A list file that cannot be read; `where` names the line or element at fault. */
export class ListFormatError extends AppError {
  constructor(file: string, where: string, problem: string) {
    super('SCREENING_LIST_MALFORMED', 'invalid', `${file}: ${where}: ${problem}`, {
      details: { file, where, problem },
    })
    this.name = 'ListFormatError'
  }
}

export const unknownFormat = (path: string): AppError =>
  new AppError(
    'SCREENING_LIST_FORMAT_UNKNOWN',
    'invalid',
    `Cannot tell the list format of ${path}; pass --format (ofac-csv, ofac-cons-csv, ofac-advanced-xml, un-xml, eu-xml, uk-csv, csl-csv).`,
  )

export const listSourceUnreadable = (path: string, cause: unknown): AppError =>
  new AppError('SCREENING_LIST_UNREADABLE', 'invalid', `Cannot read ${path}: ${String(cause)}`, { cause })

export const emptyName = (): AppError =>
  new AppError(
    'SCREENING_NAME_REQUIRED',
    'invalid',
    'Give a name with at least one letter or digit to screen.',
  )

export const decisionNotFound = (id: string): AppError =>
  new AppError('SCREENING_DECISION_NOT_FOUND', 'not_found', `No screening decision ${id}.`)

export const subjectNotFound = (id: string): AppError =>
  new AppError('SCREENING_SUBJECT_NOT_FOUND', 'not_found', `No screened subject ${id}; screen it first.`)

export const entryNotFound = (listId: string, key: string): AppError =>
  new AppError('SCREENING_ENTRY_NOT_FOUND', 'not_found', `No active entry ${key} on list ${listId}.`)

export const batchTooLarge = (n: number, max: number): AppError =>
  new AppError('SCREENING_BATCH_TOO_LARGE', 'too_large', `A batch holds at most ${max} queries; got ${n}.`)
