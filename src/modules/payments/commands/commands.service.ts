/**
 * Asynchronous intake for spikes (issue #18 item 5). `POST /v1/payments?async=true` and
 * `POST /v1/transactions/bulk?async=true` only accept: the command row (with its Idempotency-Key) and
 * an outbox message naming it are written in one transaction — shared by every request arriving
 * meanwhile (group commit), so acceptance costs a commit per batch, not per request — and the client
 * gets 202 with the command id. The outbox relay puts the message on the configured bus (in-process,
 * Redis Streams or Kafka) as `payments.command.accepted.v1`; consumers of the `payments-commands`
 * group apply it with backpressure (at most `maxInFlight` messages held per member), record the result
 * on the row (readable by id) and announce it as `payments.command.succeeded|failed.v1`, which the
 * outgoing-webhooks fan-out delivers to the tenant's endpoints.
 *
 * Exactly once: a payment command runs through payments' own idempotency (the command's key), so a
 * redelivery after a consumer crash — even one that died after the payment was written — gets the
 * same payment back; a ledger command is applied in the same transaction that marks its row, under
 * the row's lock. A completed row is never applied again, and its outcome event is sent once.
 */
import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../../../shared/clock.js'
import { canonicalJson } from '../../../shared/canonical-json.js'
import type { DbHandle } from '../../../shared/db/connect.js'
import { isAppError, type AppError } from '../../../shared/errors.js'
import { GroupCommit } from '../../../shared/group-commit.js'
import type { IdGenerator } from '../../../shared/ids.js'
import type { EventBus, EventMessage, Outbox, Subscription } from '../../events/index.js'
import type { Ledger, LedgerCommand } from '../../ledger/index.js'
import { toJson } from '../core/idempotency.js'
import type { Actor } from '../payments.audit.js'
import { idempotencyConflict, paymentError } from '../payments.errors.js'
import type { CreatePaymentInput, PaymentCommands } from '../ports.js'
import { COMMAND_EVENTS } from './commands.events.js'
import {
  acceptedCommands,
  commandsByKeys,
  completeCommands,
  countCommands,
  getCommand,
  insertCommands,
  type CommandKind,
  type CommandStatus,
  type Completion,
  type NewCommand,
  type StoredCommand,
} from './commands.store.js'

export const COMMANDS_CONSUMER_GROUP = 'payments-commands'

export interface LedgerBulkRequest {
  readonly commands: readonly LedgerCommand[]
  readonly atomic: boolean
}

export interface AcceptedCommand {
  readonly id: string
  readonly kind: CommandKind
  readonly idempotencyKey: string
  /** The key was used before with the same request: this is that command. */
  readonly duplicate: boolean
}

export interface AsyncCommandsDeps {
  readonly db: DbHandle
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly outbox: Outbox
  readonly payments: Pick<PaymentCommands, 'create'>
  readonly ledger: Pick<Ledger, 'execute'>
  readonly logger?: Logger
  /** Commands accepted per transaction (group commit). Default 1,000. */
  readonly acceptBatch?: number
}

export interface AsyncCommands {
  /**
   * `by`: the submitting principal, kept on the row so the payment's transitions, applied later by a
   * consumer, name it in the audit trail (as the synchronous route's do), not the gateway.
   */
  acceptPayment(tenant: string, input: CreatePaymentInput, key?: string, by?: Actor): Promise<AcceptedCommand>
  /**
   * Many payment commands at once, each under its own key (`POST /v1/payments/commands`): one result
   * per item, in order. An item the request is at fault for (its key used before for another
   * request) is that item's error; the others are accepted. They share the intake's group commits.
   */
  acceptPayments(
    tenant: string,
    items: readonly { readonly input: CreatePaymentInput; readonly key: string }[],
    by?: Actor,
  ): Promise<(AcceptedCommand | AppError)[]>
  acceptLedgerBulk(
    tenant: string,
    request: LedgerBulkRequest,
    key?: string,
    by?: Actor,
  ): Promise<AcceptedCommand>
  /** PAYMENT_COMMAND_NOT_FOUND unless this tenant accepted a command with this id. */
  get(tenant: string, id: string): Promise<StoredCommand>
  counts(tenant: string): Promise<Record<CommandStatus, number>>
  /** Applies the commands these accepted-messages name (the consumer's batch handler). */
  apply(messages: readonly EventMessage[]): Promise<void>
  /** Joins the consumer group on the bus. `maxInFlight`: messages held at once (backpressure). */
  startConsumer(
    bus: EventBus,
    opts?: { consumerName?: string; maxInFlight?: number; lingerMs?: number },
  ): Promise<Subscription>
  close(): Promise<void>
}

// Requests are stored as JSON with their bigints tagged, so amounts come back exact.
const encode = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { $bigint: x.toString() } : x))
const decode = <T>(v: unknown): T =>
  JSON.parse(JSON.stringify(v), (_k, x: unknown) =>
    x !== null && typeof x === 'object' && '$bigint' in x ? BigInt((x as { $bigint: string }).$bigint) : x,
  ) as T
const fingerprint = (kind: CommandKind, request: unknown) =>
  createHash('sha256')
    .update(canonicalJson([kind, request]))
    .digest('base64url')

interface Accept {
  readonly row: NewCommand
}

/**
 * An error that is the request's fault (a bad amount, no gateway): the command failed for good. A key
 * still in progress (a member died mid-create) is not: the redelivery waits for the key's takeover.
 */
const isFinal = (err: unknown) =>
  isAppError(err) &&
  err.kind !== 'unavailable' &&
  err.kind !== 'internal' &&
  err.code !== 'IDEMPOTENCY_IN_PROGRESS'

export function createAsyncCommands(deps: AsyncCommandsDeps): AsyncCommands {
  const { db, clock, outbox, logger } = deps
  const refKey = (tenant: string, key: string) => `${tenant}\u0000${key}`

  const accepting = new GroupCommit<Accept, AcceptedCommand | Error>({
    maxBatch: deps.acceptBatch ?? 1000,
    maxInFlight: db.engine === 'postgres' ? 4 : 1,
    closedMessage: 'payment command intake is closed',
    async send(items) {
      return db.db.transaction().execute(async (tx) => {
        const fresh = await insertCommands(
          tx,
          items.map((i) => i.row),
        )
        await outbox.enqueue(
          tx,
          items
            .filter((i) => fresh.has(i.row.id))
            .map((i) => ({
              tenantId: i.row.tenantId,
              topic: COMMAND_EVENTS.accepted,
              key: i.row.id,
              payload: { commandId: i.row.id, kind: i.row.kind },
            })),
        )
        const repeats = items.filter((i) => !fresh.has(i.row.id))
        const known = await commandsByKeys(
          tx,
          repeats.map((i) => ({ tenantId: i.row.tenantId, key: i.row.idempotencyKey })),
        )
        return items.map(({ row }): AcceptedCommand | Error => {
          const base = { kind: row.kind, idempotencyKey: row.idempotencyKey }
          if (fresh.has(row.id)) return { ...base, id: row.id, duplicate: false }
          const prior = known.get(refKey(row.tenantId, row.idempotencyKey))
          if (!prior || prior.requestHash !== row.requestHash || prior.kind !== row.kind)
            return idempotencyConflict()
          return { ...base, id: prior.id, duplicate: true }
        })
      })
    },
  })

  const accept = async (tenant: string, kind: CommandKind, request: unknown, key?: string, by?: Actor) => {
    const id = deps.ids('cmd')
    const idempotencyKey = key ?? id
    if (idempotencyKey.length === 0 || idempotencyKey.length > 255)
      throw paymentError('INVALID_IDEMPOTENCY_KEY')
    const r = await accepting.submit({
      row: {
        tenantId: tenant,
        id,
        kind,
        idempotencyKey,
        requestJson: encode(request),
        requestHash: fingerprint(kind, request),
        acceptedAt: clock.now(),
        submittedBy: by,
      },
    })
    if (r instanceof Error) throw r
    return r
  }

  /** Runs one command; a final refusal is its outcome, anything else is thrown (the bus retries). */
  const runPayment = async (c: StoredCommand): Promise<Completion> => {
    try {
      const p = await deps.payments.create(c.tenantId, decode<CreatePaymentInput>(c.request), {
        idempotencyKey: c.idempotencyKey,
        ...(c.submittedBy ? { by: c.submittedBy } : {}),
      })
      return {
        tenantId: c.tenantId,
        id: c.id,
        status: 'succeeded',
        resourceId: p.id,
        result: toJson(p),
        error: null,
      }
    } catch (err) {
      if (!isFinal(err)) throw err
      const e = err as { code: string; message: string }
      return {
        tenantId: c.tenantId,
        id: c.id,
        status: 'failed',
        resourceId: null,
        result: undefined,
        error: { code: e.code, message: e.message },
      }
    }
  }

  const announce = (done: readonly Completion[], changed: Set<string>, byId: Map<string, StoredCommand>) =>
    done
      .filter((d) => changed.has(d.id))
      .map((d) => {
        const c = byId.get(d.id)!
        return {
          tenantId: d.tenantId,
          topic: d.status === 'succeeded' ? COMMAND_EVENTS.succeeded : COMMAND_EVENTS.failed,
          key: d.id,
          payload: {
            commandId: d.id,
            kind: c.kind,
            status: d.status,
            idempotencyKey: c.idempotencyKey,
            resourceId: d.resourceId,
            errorCode: d.error?.code ?? null,
          },
        }
      })

  const applyPayments = async (commands: readonly StoredCommand[]) => {
    if (commands.length === 0) return
    const settled = await Promise.allSettled(commands.map(runPayment))
    const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
    const byId = new Map(commands.map((c) => [c.id, c]))
    await db.db.transaction().execute(async (tx) => {
      const changed = await completeCommands(tx, done, clock.now())
      await outbox.enqueue(tx, announce(done, changed, byId))
    })
    const failed = settled.find((s) => s.status === 'rejected')
    // The others are recorded; the bus retries the batch and finds only these still accepted.
    if (failed) throw failed.reason
  }

  /** A ledger command applies in the transaction that marks its row, under the row's lock. */
  const applyLedger = async (c: StoredCommand) => {
    await db.db.transaction().execute(async (tx) => {
      const [locked] = await acceptedCommands(tx, [{ tenantId: c.tenantId, id: c.id }], true)
      if (!locked) return
      const req = decode<LedgerBulkRequest>(locked.request)
      const results = await deps.ledger.execute(locked.tenantId, req.commands, { tx, atomic: req.atomic })
      const done: Completion = {
        tenantId: c.tenantId,
        id: c.id,
        status: 'succeeded',
        resourceId: null,
        result: { results },
        error: null,
      }
      const changed = await completeCommands(tx, [done], clock.now())
      await outbox.enqueue(tx, announce([done], changed, new Map([[c.id, locked]])))
    })
  }

  const apply: AsyncCommands['apply'] = async (messages) => {
    const refs = messages.map((m) => ({
      tenantId: m.tenantId,
      id: String((m.payload as { commandId: unknown }).commandId),
    }))
    // Completed commands (a redelivery) are not read at all.
    const open = await acceptedCommands(db.db, refs)
    await applyPayments(open.filter((c) => c.kind === 'payment.create'))
    for (const c of open.filter((x) => x.kind === 'ledger.bulk')) await applyLedger(c)
  }

  return {
    acceptPayment: (tenant, input, key, by) => accept(tenant, 'payment.create', input, key, by),
    async acceptPayments(tenant, items, by) {
      const settled = await Promise.allSettled(
        items.map((i) => accept(tenant, 'payment.create', i.input, i.key, by)),
      )
      return settled.map((r) => {
        if (r.status === 'fulfilled') return r.value
        // Anything but the item's own fault (the database gone) fails the whole request, to be retried.
        if (isAppError(r.reason) && (r.reason.kind === 'invalid' || r.reason.kind === 'conflict'))
          return r.reason
        throw r.reason
      })
    },
    acceptLedgerBulk: (tenant, request, key, by) => accept(tenant, 'ledger.bulk', request, key, by),
    async get(tenant, id) {
      const c = await getCommand(db.db, tenant, id)
      if (!c) throw paymentError('PAYMENT_COMMAND_NOT_FOUND')
      return c
    },
    counts: (tenant) => countCommands(db.db, tenant),
    apply,
    startConsumer(bus, opts = {}) {
      return bus.subscribe({
        group: COMMANDS_CONSUMER_GROUP,
        topics: [COMMAND_EVENTS.accepted],
        maxInFlight: opts.maxInFlight ?? 256,
        ...(opts.consumerName ? { consumerName: opts.consumerName } : {}),
        ...(opts.lingerMs !== undefined ? { lingerMs: opts.lingerMs } : {}),
        batchHandler: async (messages) => {
          try {
            await apply(messages)
          } catch (err) {
            logger?.warn(
              { err, messages: messages.length },
              'payment commands batch failed; the bus retries it',
            )
            throw err
          }
        },
      })
    },
    close: () => accepting.close(),
  }
}
