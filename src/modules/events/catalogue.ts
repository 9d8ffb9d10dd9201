import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { TOPIC_RE } from './events.js'
import { invalidEventPayload, unknownEventType } from './events.errors.js'

/** One entry of the event catalogue: a versioned name and its payload schema. */
export interface EventDefinition {
  readonly name: string
  readonly description: string
  readonly schema: TSchema
}

export interface EventCatalogue {
  readonly definitions: readonly EventDefinition[]
  has(name: string): boolean
  /** Throws EVENT_UNKNOWN_TYPE or EVENT_INVALID_PAYLOAD. */
  validate(name: string, payload: unknown): void
  /** The same check as a value: undefined when valid, else the problem. */
  problem(name: string, payload: unknown): string | undefined
}

export function defineEvent(name: string, description: string, schema: TSchema): EventDefinition {
  if (!TOPIC_RE.test(name)) throw new Error(`Event name "${name}" must look like module.entity.verb.v1`)
  return { name, description, schema }
}

export function createCatalogue(definitions: readonly EventDefinition[]): EventCatalogue {
  const checks = new Map<string, TypeCheck<TSchema>>()
  for (const d of definitions) {
    if (checks.has(d.name)) throw new Error(`Event ${d.name} is defined twice`)
    checks.set(d.name, TypeCompiler.Compile(d.schema))
  }
  const problem = (name: string, payload: unknown): string | undefined => {
    const check = checks.get(name)
    if (!check) return `unknown event type "${name}"`
    if (check.Check(payload)) return undefined
    const first = check.Errors(payload).First()
    return first ? `${first.path || '/'}: ${first.message}` : 'invalid'
  }
  return {
    definitions,
    has: (name) => checks.has(name),
    problem,
    validate(name, payload) {
      if (!checks.has(name)) throw unknownEventType(name)
      const p = problem(name, payload)
      if (p) throw invalidEventPayload(name, p)
    },
  }
}

const Id = (prefix: string) => Type.String({ pattern: `^${prefix}_[A-Za-z0-9]+$` })
const Amount = Type.String({ pattern: '^-?[0-9]+$', description: 'integer minor units' })

/**
 * Events of the ledger, written by `ledger_apply` into the outbox in the same transaction as the
 * postings (partition key: the transaction id, so a hold and its post or void stay in order).
 * The ledger owns their content (docs/ledger.md); the schemas pin what consumers may rely on.
 */
const LedgerLeg = Type.Object(
  {
    source: Type.String({ minLength: 1 }),
    destination: Type.String({ minLength: 1 }),
    amount: Amount,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  },
  { additionalProperties: false },
)
const LedgerTransactionEvent = Type.Object(
  {
    transactionId: Id('txn'),
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('posted'),
      Type.Literal('voided'),
      Type.Literal('expired'),
    ]),
    legs: Type.Array(LedgerLeg, {
      minItems: 1,
      description: 'amounts moved by this step (posted, held or released)',
    }),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    at: Type.String({ description: 'ISO 8601 time of the step' }),
  },
  { additionalProperties: true },
)
export const ledgerEvents: readonly EventDefinition[] = [
  defineEvent(
    'ledger.transaction.posted.v1',
    'Amounts were posted: a transaction posted directly, or a pending one posted (legs carry the posted amounts).',
    LedgerTransactionEvent,
  ),
  defineEvent(
    'ledger.transaction.pending.v1',
    'A pending transaction holds amounts.',
    LedgerTransactionEvent,
  ),
  defineEvent(
    'ledger.transaction.voided.v1',
    'A pending transaction was voided; legs carry the released amounts.',
    LedgerTransactionEvent,
  ),
  defineEvent(
    'ledger.transaction.expired.v1',
    'A pending transaction passed its timeout and was voided.',
    LedgerTransactionEvent,
  ),
  defineEvent(
    'ledger.account.created.v1',
    'An account was opened.',
    Type.Object(
      { accountId: Type.String({ minLength: 1 }), currency: Type.String(), normalSide: Type.String() },
      { additionalProperties: true },
    ),
  ),
]

/** Events the backbone itself uses (tests, benchmarks, health probes). */
export const systemEvents: readonly EventDefinition[] = [
  defineEvent(
    'events.probe.sent.v1',
    'A probe event: used by the contract suite, the benchmark and `moneta events` diagnostics.',
    Type.Object(
      { n: Type.Integer({ minimum: 0 }), note: Type.Optional(Type.String({ maxLength: 200 })) },
      { additionalProperties: false },
    ),
  ),
]
