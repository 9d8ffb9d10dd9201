import { AppError } from '../shared/errors.js'

/** A bad flag or argument: the CLI prints the code and message and exits non-zero. */
export const cliInvalid = (message: string): AppError =>
  new AppError('CLI_INVALID_ARGUMENT', 'invalid', message)

/** Indented JSON with a final newline; bigint money as integer strings, as the API writes it. */
export const jsonText = (value: unknown): string =>
  `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
