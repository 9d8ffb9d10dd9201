import { Type } from '@sinclair/typebox'
import { defineEvent, type EventDefinition, type OutgoingEvent } from '../events/index.js'
import type { PartyRow } from './parties.store.js'

/** Event names this module publishes, in the transaction of the change. Partition key: the party id. */
export const PARTIES_EVENTS = {
  created: 'parties.party.created.v1',
  updated: 'parties.party.updated.v1',
  screened: 'parties.party.screened.v1',
  holdCreated: 'parties.hold.created.v1',
  holdDecided: 'parties.hold.decided.v1',
  listFetchFailed: 'parties.list_source.failed.v1',
} as const

const Risk = {
  riskLevel: Type.String(),
  riskScore: Type.Integer(),
}

const Hit = Type.Object(
  {
    listId: Type.String(),
    entryKey: Type.String(),
    score: Type.Number(),
    alertId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/** No personal data in any payload (events reach outgoing webhooks): ids, statuses, counts, list keys. */
export const partiesEvents: readonly EventDefinition[] = [
  defineEvent(
    PARTIES_EVENTS.created,
    'A customer or counterparty was onboarded (status onboarding); personal fields are not in the event.',
    Type.Object(
      {
        partyId: Type.String(),
        kind: Type.String(),
        roles: Type.Array(Type.String()),
        status: Type.String(),
        ...Risk,
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    PARTIES_EVENTS.updated,
    'A party changed: its fields (named, not their values), status or risk rating; version increases by one.',
    Type.Object(
      {
        partyId: Type.String(),
        version: Type.Integer(),
        changed: Type.Array(Type.String()),
        status: Type.String(),
        previousStatus: Type.Optional(Type.String()),
        ...Risk,
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    PARTIES_EVENTS.screened,
    'A party was screened (onboarding, a change of name/DOB/country, a list update, a payment, or on request). ' +
      'newHits lists hits not seen before with their screening alert ids: the case queue opens cases from them.',
    Type.Object(
      {
        partyId: Type.String(),
        trigger: Type.Union([
          Type.Literal('onboarding'),
          Type.Literal('change'),
          Type.Literal('list_update'),
          Type.Literal('money_movement'),
          Type.Literal('manual'),
        ]),
        screeningStatus: Type.String(),
        hits: Type.Integer(),
        newHits: Type.Array(Hit),
        listsLoaded: Type.Integer(),
        warning: Type.Optional(Type.String()),
        ...Risk,
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    PARTIES_EVENTS.holdCreated,
    'A payout, bank transfer or payment to a possible sanctions match was held (SCREENING_REVIEW_REQUIRED).',
    Type.Object(
      {
        holdId: Type.String(),
        partyId: Type.String(),
        kind: Type.String(),
        hits: Type.Array(Hit),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    PARTIES_EVENTS.holdDecided,
    'A held operation was released (and executed) or rejected by an authenticated operator or API key.',
    Type.Object(
      {
        holdId: Type.String(),
        partyId: Type.String(),
        kind: Type.String(),
        decision: Type.Union([Type.Literal('released'), Type.Literal('rejected')]),
        decidedBy: Type.String(),
        resultId: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
  defineEvent(
    PARTIES_EVENTS.listFetchFailed,
    'A scheduled or manual sanctions list fetch failed or looked wrong (error, empty, shrunk by half, ' +
      'unparseable); the active snapshot was kept.',
    Type.Object(
      {
        sourceId: Type.String(),
        listId: Type.String(),
        reason: Type.String(),
        detail: Type.String(),
      },
      { additionalProperties: false },
    ),
  ),
]

/** `parties.party.updated.v1` for a row as just written (field names only, never their values). */
export function partyUpdated(
  tenant: string,
  row: PartyRow,
  changed: readonly string[],
  previousStatus?: string,
): OutgoingEvent {
  return {
    topic: PARTIES_EVENTS.updated,
    key: row.partyId,
    tenantId: tenant,
    payload: {
      partyId: row.partyId,
      version: row.version,
      changed: [...changed],
      status: row.status,
      ...(previousStatus ? { previousStatus } : {}),
      riskLevel: row.riskLevel,
      riskScore: row.riskScore,
    },
  }
}
