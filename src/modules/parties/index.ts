/**
 * Parties: customers and counterparties (persons, organisations), encrypted personal fields with
 * blind-index search, a strict status machine, risk rating recomputed on every change, screening at
 * onboarding and on change, and the screening gate that holds money movement to possible matches.
 */
export { createParties } from './parties.service.js'
export type { Parties, PartyListFilter, PartyLink, CreatePartiesDeps } from './parties.service.js'
export type { Actor, PartiesAuditPort, PartiesScreeningPort } from './context.js'
export { PARTY_DETAILS_FIELD, partyIdentifierIndex } from './context.js'
export type { CreatePartyInput, CreatePartyResult } from './onboard.js'
export type { PartyPatch } from './change.js'
export type { ScreenOutcome, ScreenTrigger } from './screen.js'
export { NO_LISTS_WARNING } from './screen.js'
export { HOLD_KINDS } from './holds.js'
export { PARTIES_SCREENING_GROUP } from './list-update.js'
export { createListRefresher } from './list-refresh.js'
export type { ListRefresher, ListSourceSpec, FetchOutcome, RefusalReason } from './list-refresh.js'
export type { PartyAlert } from './list-update.js'
export type { HoldKind, HoldExecutor, MoneyCommand } from './holds.js'
export type { HoldRow, StoredHit } from './parties.store.js'
export {
  PARTY_KINDS,
  PARTY_ROLES,
  PARTY_STATUSES,
  IDENTIFIER_TYPES,
  NAME_KINDS,
  SCREENING_STATUSES,
  nextStatus,
  rateRisk,
  leiValid,
  partyOfSubject,
} from './parties.js'
export type {
  Party,
  PartyDetails,
  PartyKind,
  PartyRole,
  PartyStatus,
  RiskLevel,
  RiskReason,
} from './parties.js'
export { PARTIES_ERRORS } from './parties.errors.js'
export { PARTIES_EVENTS, partiesEvents } from './parties.events.js'
export { partiesMigrations } from './parties.migrations.js'
