import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import {
  entriesToLegs,
  ledgerError,
  MAX_LEGS,
  type Account,
  type Balances,
  type CommandResult,
  type Entry,
  type LedgerCommand,
  type LedgerErrorCode,
  type Leg,
} from '../../modules/ledger/index.js'
import { AppError, invalid } from '../../shared/errors.js'
import { currency, parseAmount } from '../../shared/money.js'
import { MinorUnits } from '../schemas.js'
import { tenantOf, type ApiApp } from '../server.js'
import { actorOf } from './parties.js'
import { AsyncQuery, CommandAcceptedSchema, acceptedJson, commandLocation } from './payment-commands.js'

// ---- schemas (they validate requests and generate the OpenAPI document) ----

const Amount = Type.String({
  pattern: '^[0-9]{1,20}$',
  description: 'Integer minor units, e.g. "1050" = 10.50 USD',
})
const CurrencyCode = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' })
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_:.-]+$' })
const Metadata = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 50 })
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})
const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})

const BalancesSchema = Type.Object({
  debitsPending: Amount,
  debitsPosted: Amount,
  creditsPending: Amount,
  creditsPosted: Amount,
  posted: Type.String(),
  available: Type.String(),
})
const AccountSchema = Type.Object({
  id: Type.String(),
  partyId: Type.Optional(Type.String()),
  code: Type.Union([Type.String(), Type.Null()]),
  currency: Type.String(),
  exponent: Type.Integer(),
  normalSide: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
  debitsMustNotExceedCredits: Type.Boolean(),
  creditsMustNotExceedDebits: Type.Boolean(),
  creditLimit: Amount,
  metadata: Metadata,
  balances: BalancesSchema,
  createdAt: Type.String({ format: 'date-time' }),
})
const CreateAccountBody = Type.Object(
  {
    id: Type.Optional(Id),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    currency: CurrencyCode,
    normalSide: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
    debitsMustNotExceedCredits: Type.Optional(Type.Boolean()),
    creditsMustNotExceedDebits: Type.Optional(Type.Boolean()),
    creditLimit: Type.Optional(MinorUnits()),
    metadata: Type.Optional(Metadata),
    partyId: Type.Optional(
      Type.String({
        pattern: '^pty_[0-9a-f]{32}$',
        description: 'The party that owns the account (GET /v1/parties/:id/links)',
      }),
    ),
  },
  { additionalProperties: false },
)
const PatchAccountBody = Type.Object(
  {
    creditLimit: Type.Optional(MinorUnits()),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, minProperties: 1 },
)
const LegSchema = Type.Object(
  { source: Id, destination: Id, amount: Amount, currency: CurrencyCode },
  { additionalProperties: false },
)
const EntrySchema = Type.Object(
  {
    account: Id,
    direction: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
    amount: Amount,
    currency: CurrencyCode,
  },
  { additionalProperties: false },
)
const CreateTransactionFields = {
  legs: Type.Optional(Type.Array(LegSchema, { minItems: 1, maxItems: MAX_LEGS })),
  entries: Type.Optional(Type.Array(EntrySchema, { minItems: 2, maxItems: MAX_LEGS * 2 })),
  pending: Type.Optional(Type.Boolean()),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  metadata: Type.Optional(Metadata),
}
const CreateTransactionBody = Type.Object(CreateTransactionFields, { additionalProperties: false })
const BulkItem = Type.Union([
  Type.Object(
    {
      op: Type.Literal('create'),
      idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
      ...CreateTransactionFields,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      op: Type.Literal('post'),
      transactionId: Id,
      amounts: Type.Optional(Type.Array(Amount, { maxItems: MAX_LEGS })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ op: Type.Literal('void'), transactionId: Id }, { additionalProperties: false }),
])
const BulkBody = Type.Object(
  { items: Type.Array(BulkItem, { minItems: 1, maxItems: 1000 }), atomic: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
)
const ResultSchema = Type.Object({
  ok: Type.Boolean(),
  transactionId: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  replayed: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
})
const TransactionSchema = Type.Object({
  id: Type.String(),
  status: Type.String(),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
  legs: Type.Array(
    Type.Object({
      source: Type.String(),
      destination: Type.String(),
      amount: Amount,
      currency: Type.String(),
    }),
  ),
  postedAmounts: Type.Union([Type.Array(Amount), Type.Null()]),
  timeoutAt: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  createdAt: Type.String(),
  resolvedAt: Type.Union([Type.String(), Type.Null()]),
  replayed: Type.Optional(Type.Boolean()),
  entries: Type.Optional(Type.Array(Type.Unknown())),
})
const EntryOut = Type.Object({
  seq: Type.String(),
  transactionId: Type.String(),
  leg: Type.Integer(),
  kind: Type.String(),
  side: Type.String(),
  currency: Type.String(),
  pendingDelta: Type.String(),
  postedDelta: Type.String(),
  balanceAfter: BalancesSchema,
  createdAt: Type.String(),
})
const IdParams = Type.Object({ id: Id })
const PageQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  { additionalProperties: false },
)

// ---- serialisers: bigint → integer strings ----

const balancesJson = (b: Balances) => ({
  debitsPending: b.debitsPending.toString(),
  debitsPosted: b.debitsPosted.toString(),
  creditsPending: b.creditsPending.toString(),
  creditsPosted: b.creditsPosted.toString(),
  posted: b.posted.toString(),
  available: b.available.toString(),
})
const accountJson = (a: Account) => ({
  ...a,
  creditLimit: a.creditLimit.toString(),
  balances: balancesJson(a.balances),
  entrySeq: undefined,
  createdAt: a.createdAt.toISOString(),
})
const entryJson = (e: Entry) => ({
  ...e,
  seq: e.seq.toString(),
  pendingDelta: e.pendingDelta.toString(),
  postedDelta: e.postedDelta.toString(),
  balanceAfter: balancesJson(e.balanceAfter),
  createdAt: e.createdAt.toISOString(),
})
const resultJson = (r: CommandResult) =>
  r.ok
    ? { ok: true, transactionId: r.transactionId, status: r.status, replayed: r.replayed }
    : { ok: false, error: { code: r.code, message: r.message } }

// ---- request → command ----

type CreateFields = Static<typeof CreateTransactionBody>

function legsFrom(body: CreateFields): Leg[] {
  if ((body.legs === undefined) === (body.entries === undefined)) {
    throw invalid(
      'VALIDATION_ERROR',
      'Give either "legs" (source → destination) or "entries" (debits and credits), not both.',
    )
  }
  const checkCurrency = (code: string) => currency(code).code
  if (body.legs) {
    return body.legs.map((l, i) => ({
      source: l.source,
      destination: l.destination,
      amount: parseAmount(l.amount, `legs[${i}].amount`),
      currency: checkCurrency(l.currency),
    }))
  }
  return entriesToLegs(
    body.entries!.map((e, i) => ({
      account: e.account,
      direction: e.direction,
      amount: parseAmount(e.amount, `entries[${i}].amount`),
      currency: checkCurrency(e.currency),
    })),
  )
}

function createCommand(body: CreateFields, idempotencyKey: string | undefined): LedgerCommand {
  return {
    op: 'create',
    legs: legsFrom(body),
    ...(body.pending !== undefined ? { pending: body.pending } : {}),
    ...(body.timeoutSeconds !== undefined ? { timeoutSeconds: body.timeoutSeconds } : {}),
    ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
  }
}

/** A single command's failure becomes the HTTP error (status from its kind). */
function unwrap(result: CommandResult): Extract<CommandResult, { ok: true }> {
  if (result.ok) return result
  try {
    throw ledgerError(result.code as LedgerErrorCode, result.ref ?? null)
  } catch (err) {
    if (err instanceof AppError) throw err
    throw new AppError(result.code, 'conflict', result.message)
  }
}

const limitOf = (q: { limit?: string }) => (q.limit === undefined ? undefined : Number(q.limit))

export function registerLedgerRoutes(app: ApiApp, { ledger, parties, paymentCommands }: AppServices): void {
  const errors = {
    400: ErrorResponse,
    401: ErrorResponse,
    404: ErrorResponse,
    409: ErrorResponse,
    422: ErrorResponse,
  }
  const tags = ['ledger']

  app.post(
    '/v1/accounts',
    {
      schema: {
        tags,
        summary: 'Create an account',
        body: CreateAccountBody,
        response: { 201: AccountSchema, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body
      // The owner is checked before the account exists and linked after, as payments do (docs/parties.md).
      if (b.partyId) await parties.get(tenantOf(req), b.partyId)
      const account = await ledger.createAccount(tenantOf(req), {
        ...(b.id !== undefined ? { id: b.id } : {}),
        ...(b.code !== undefined ? { code: b.code } : {}),
        currency: currency(b.currency).code,
        normalSide: b.normalSide,
        ...(b.debitsMustNotExceedCredits !== undefined
          ? { debitsMustNotExceedCredits: b.debitsMustNotExceedCredits }
          : {}),
        ...(b.creditsMustNotExceedDebits !== undefined
          ? { creditsMustNotExceedDebits: b.creditsMustNotExceedDebits }
          : {}),
        ...(b.creditLimit !== undefined ? { creditLimit: BigInt(b.creditLimit) } : {}),
        ...(b.metadata !== undefined ? { metadata: b.metadata } : {}),
      })
      if (b.partyId) await parties.link(tenantOf(req), b.partyId, 'ledger_account', account.id, 'owner')
      return reply.status(201).send({ ...accountJson(account), ...(b.partyId ? { partyId: b.partyId } : {}) })
    },
  )

  app.get(
    '/v1/accounts',
    {
      schema: {
        tags,
        summary: 'List accounts',
        querystring: PageQuery,
        response: {
          200: Type.Object({
            items: Type.Array(AccountSchema),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      const page = await ledger.listAccounts(tenantOf(req), {
        ...(req.query.after !== undefined ? { after: req.query.after } : {}),
        ...(limitOf(req.query) !== undefined ? { limit: limitOf(req.query)! } : {}),
      })
      return { items: page.items.map(accountJson), next: page.next }
    },
  )

  app.get(
    '/v1/accounts/:id',
    {
      schema: {
        tags,
        summary: 'Get an account with its balances',
        params: IdParams,
        response: { 200: AccountSchema, ...errors },
      },
    },
    async (req) => accountJson(await ledger.getAccount(tenantOf(req), req.params.id)),
  )

  app.patch(
    '/v1/accounts/:id',
    {
      schema: {
        tags,
        summary: 'Change an account credit limit or metadata',
        params: IdParams,
        body: PatchAccountBody,
        response: { 200: AccountSchema, ...errors },
      },
    },
    async (req) =>
      accountJson(
        await ledger.updateAccount(tenantOf(req), req.params.id, {
          ...(req.body.creditLimit !== undefined ? { creditLimit: BigInt(req.body.creditLimit) } : {}),
          ...(req.body.metadata !== undefined ? { metadata: req.body.metadata } : {}),
        }),
      ),
  )

  app.get(
    '/v1/accounts/:id/balances',
    {
      schema: {
        tags,
        summary: 'Balances now, or as of a past time',
        params: IdParams,
        querystring: Type.Object(
          { at: Type.Optional(Type.String({ format: 'date-time' })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Intersect([BalancesSchema, Type.Object({ asOf: Type.String() })]), ...errors },
      },
    },
    async (req) => {
      const at = req.query.at === undefined ? undefined : new Date(req.query.at)
      if (at && Number.isNaN(at.getTime()))
        throw invalid('VALIDATION_ERROR', 'at must be an ISO 8601 date-time.')
      const b = await ledger.balances(tenantOf(req), req.params.id, at)
      return { ...balancesJson(b), asOf: b.asOf.toISOString() }
    },
  )

  app.get(
    '/v1/accounts/:id/entries',
    {
      schema: {
        tags,
        summary: 'Account history with the balance after each entry',
        params: IdParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ items: Type.Array(EntryOut), next: Type.Union([Type.String(), Type.Null()]) }),
          ...errors,
        },
      },
    },
    async (req) => {
      const limit = limitOf(req.query)
      const page = await ledger.history(tenantOf(req), req.params.id, {
        ...(req.query.after !== undefined ? { after: req.query.after } : {}),
        ...(limit !== undefined ? { limit } : {}),
      })
      return { items: page.items.map(entryJson), next: page.next }
    },
  )

  app.post(
    '/v1/transactions',
    {
      schema: {
        tags,
        summary: 'Post a transaction (legs or balanced entries); pending when "pending": true',
        headers: IdempotencyHeaders,
        body: CreateTransactionBody,
        response: { 200: ResultSchema, 201: ResultSchema, ...errors },
      },
    },
    async (req, reply) => {
      const command = createCommand(req.body, req.headers['idempotency-key'])
      const result = unwrap(await ledger.submit(tenantOf(req), command))
      return reply.status(result.replayed ? 200 : 201).send(resultJson(result))
    },
  )

  app.post(
    '/v1/transactions/bulk',
    {
      schema: {
        tags,
        summary:
          'Apply up to 1,000 commands in one database round trip; one result per item. ?async=true: accepted now (202), applied by a consumer',
        headers: IdempotencyHeaders,
        querystring: AsyncQuery,
        body: BulkBody,
        response: {
          200: Type.Object({ results: Type.Array(ResultSchema) }),
          202: CommandAcceptedSchema,
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const commands: LedgerCommand[] = req.body.items.map((item, i) => {
        try {
          if (item.op === 'create') return createCommand(item, item.idempotencyKey)
          if (item.op === 'post') {
            return {
              op: 'post',
              transactionId: item.transactionId,
              ...(item.amounts
                ? { amounts: item.amounts.map((a, j) => BigInt(parseAmountOrZero(a, `amounts[${j}]`))) }
                : {}),
            }
          }
          return { op: 'void', transactionId: item.transactionId }
        } catch (err) {
          if (err instanceof AppError) throw new AppError(err.code, err.kind, `items[${i}]: ${err.message}`)
          throw err
        }
      })
      const atomic = req.body.atomic ?? false
      if (req.query.async === 'true') {
        const accepted = await paymentCommands.acceptLedgerBulk(
          tenantOf(req),
          { commands, atomic },
          req.headers['idempotency-key'],
          actorOf(req),
        )
        return reply.status(202).header('location', commandLocation(accepted.id)).send(acceptedJson(accepted))
      }
      const results = await ledger.execute(tenantOf(req), commands, { atomic })
      return reply.send({ results: results.map(resultJson) })
    },
  )

  app.get(
    '/v1/transactions/:id',
    {
      schema: {
        tags,
        summary: 'Get a transaction and its entries',
        params: IdParams,
        response: { 200: TransactionSchema, ...errors },
      },
    },
    async (req) => {
      const t = await ledger.getTransaction(tenantOf(req), req.params.id)
      return {
        ...t,
        legs: t.legs.map((l) => ({ ...l, amount: l.amount.toString() })),
        postedAmounts: t.postedAmounts?.map(String) ?? null,
        timeoutAt: t.timeoutAt?.toISOString() ?? null,
        createdAt: t.createdAt.toISOString(),
        resolvedAt: t.resolvedAt?.toISOString() ?? null,
        entries: t.entries.map(entryJson),
      }
    },
  )

  app.post(
    '/v1/transactions/:id/post',
    {
      schema: {
        tags,
        summary: 'Post a pending transaction, fully or with smaller per-leg amounts',
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            { amounts: Type.Optional(Type.Array(Amount, { minItems: 1, maxItems: MAX_LEGS })) },
            { additionalProperties: false },
          ),
        ),
        response: { 200: ResultSchema, ...errors },
      },
    },
    async (req) => {
      const amounts = req.body?.amounts?.map((a, j) => BigInt(parseAmountOrZero(a, `amounts[${j}]`)))
      const result = unwrap(
        await ledger.submit(tenantOf(req), {
          op: 'post',
          transactionId: req.params.id,
          ...(amounts ? { amounts } : {}),
        }),
      )
      return resultJson(result)
    },
  )

  app.post(
    '/v1/transactions/:id/void',
    {
      schema: {
        tags,
        summary: 'Void a pending transaction',
        params: IdParams,
        response: { 200: ResultSchema, ...errors },
      },
    },
    async (req) =>
      resultJson(unwrap(await ledger.submit(tenantOf(req), { op: 'void', transactionId: req.params.id }))),
  )
}

/** Partial posts may post zero on a leg; anything else follows the normal amount rules. */
function parseAmountOrZero(value: string, field: string): string {
  return value === '0' ? '0' : parseAmount(value, field).toString()
}
