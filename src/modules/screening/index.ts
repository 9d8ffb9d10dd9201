export * from './screening.js'
export { normalizeName, normalizeIdentifier, normalizeCryptoAddress, PARTICLES } from './normalize.js'
export type { NormalizedName, NameToken } from './normalize.js'
export { countryCode } from './countries.js'
export { LEGAL_FORMS } from './legal-forms.js'
export { jaroWinkler, editDistance, phoneticKey } from './similarity.js'
export {
  ScreeningIndex,
  TokenStats,
  DEFAULT_PARAMS,
  DEFAULT_THRESHOLD,
  scoreNames,
  baselineScore,
  tokenSimilarity,
} from './matcher.js'
export type { ScorerParams, ScreenOptions } from './matcher.js'
export { parseListSource, readListSource, detectFormat } from './loaders/source.js'
export type { ListSource } from './loaders/source.js'
export { parseCsv as parseCsvRows } from './loaders/csv.js'
export { ListFormatError } from './screening.errors.js'
export { createScreening, subjectFingerprint, sourceDigest, MAX_BATCH } from './screening.service.js'
export type {
  Screening,
  ScreeningDeps,
  ImportResult,
  RescreenResult,
  CheckOptions,
  CheckResult,
  CheckHit,
  DecisionInput,
} from './screening.service.js'
export type { SnapshotRow } from './screening.store.js'
export { screeningMigrations } from './screening.migrations.js'
export { SCREENING_EVENTS, screeningEvents } from './screening.events.js'
