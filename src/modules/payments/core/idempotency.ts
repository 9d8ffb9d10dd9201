/**
 * Idempotency-Key handling for payment commands: the same key with the same request returns the
 * original result, with another request IDEMPOTENCY_CONFLICT. Results are stored as JSON (bigints as
 * strings, dates as ISO strings) and revived on replay.
 */
import { createHash } from 'node:crypto'
import { canonicalJson } from '../../../shared/canonical-json.js'
import { idempotencyConflict, idempotencyInProgress, paymentError } from '../payments.errors.js'
import type { PaymentsContext, Tx } from './context.js'

export interface KeyContext {
  /** The resource an earlier attempt with this key created before it failed. */
  readonly resume: string | undefined
  /** Binds the key to the resource this attempt creates, in that resource's transaction. */
  readonly bind: (tx: Tx, resourceId: string) => Promise<void>
  /** The key, for a use case that stores the answer in its own last transaction (then calls answered). */
  readonly key: string | undefined
  /** The answer was stored with the result (FactItem.key): nothing left to write. */
  readonly answered: () => void
}

/** What a request without a key runs with: nothing to bind or answer. */
const NO_KEY: KeyContext = {
  resume: undefined,
  bind: () => Promise.resolve(),
  key: undefined,
  answered: () => undefined,
}

type Json = Record<string, unknown>
const BIG_FIELDS = [
  'amount',
  'amountAuthorized',
  'amountCaptured',
  'amountRefunded',
  'amountRefundPending',
  'amountDisputed',
  'amountFee',
] as const
const DATE_FIELDS = ['createdAt', 'updatedAt'] as const

export function toJson(value: object): Json {
  const out: Json = {}
  for (const [k, v] of Object.entries(value))
    out[k] = typeof v === 'bigint' ? v.toString() : v instanceof Date ? v.toISOString() : v
  return out
}

export function fromJson<T>(json: Json): T {
  const out: Json = { ...json }
  for (const k of BIG_FIELDS) if (typeof out[k] === 'string') out[k] = BigInt(out[k])
  for (const k of DATE_FIELDS) if (typeof out[k] === 'string') out[k] = new Date(out[k])
  return out as T
}

/** The request's fingerprint: the same operation and body always hash alike, whatever the key order. */
export const requestHash = (op: string, request: unknown): string =>
  createHash('sha256')
    .update(canonicalJson([op, request]))
    .digest('base64url')

export function checkKey(key: string): void {
  if (key.length === 0 || key.length > 255) throw paymentError('INVALID_IDEMPOTENCY_KEY')
}

/**
 * Runs `run` once per idempotency key. The key is claimed in its own transaction; the result is
 * stored when `run` succeeds; on an error the key is released, so the same request may be retried.
 * A request that created something before failing (a payment whose confirm found every gateway
 * down) bound the key to it: the retry gets its id as `resume` and carries on with it.
 * A claim left by a crashed process is taken over after a minute.
 */
export async function idempotent<T extends object>(
  ctx: PaymentsContext,
  tenant: string,
  key: string | undefined,
  op: string,
  request: unknown,
  run: (k: KeyContext) => Promise<T>,
): Promise<T> {
  const { store, deps, now } = ctx
  if (key === undefined) return run(NO_KEY)
  checkKey(key)
  const hash = requestHash(op, request)
  // A new key (the common case) is claimed by one autocommitted insert; a known one is examined locked.
  const fresh = await store.tryClaimKey(deps.db, tenant, key, op, hash, now())
  const claim = fresh
    ? { resume: undefined }
    : await deps.db.transaction().execute(async (tx) => {
        const c = await store.claimKey(tx, tenant, key, op, hash, now())
        if (c.claimed) return { resume: undefined }
        if (c.hash !== hash) throw idempotencyConflict()
        if (c.response !== null && c.response !== undefined) return { replay: c.response as Json }
        if (now().getTime() - c.claimedAt.getTime() < ctx.keyTakeoverMs) throw idempotencyInProgress()
        await store.reclaimKey(tx, tenant, key, now())
        return { resume: c.resourceId ?? undefined }
      })
  if ('replay' in claim) return fromJson<T>(claim.replay)
  return runClaimed(ctx, tenant, key, claim.resume, run)
}

/**
 * A request's new key as the fast paths claim it: already bound to `resourceId`, in the transaction
 * that records what the request does (core/opener.ts, core/marker.ts). Undefined without a key.
 */
export function boundClaim(
  key: string | undefined,
  operation: string,
  request: unknown,
  resourceId: string,
): { key: string; operation: string; hash: string; resourceId: string } | undefined {
  if (key === undefined) return undefined
  checkKey(key)
  return { key, operation, hash: requestHash(operation, request), resourceId }
}

/** Goes on with a request whose key its fast path claimed (see boundClaim), or with none. */
export function continueClaimed<T extends object>(
  ctx: PaymentsContext,
  tenant: string,
  key: string | undefined,
  run: (k: KeyContext) => Promise<T>,
): Promise<T> {
  return key === undefined ? run(NO_KEY) : runClaimed(ctx, tenant, key, undefined, run)
}

/**
 * Runs `run` under a key this request holds (claimed, or taken over with `resume`): the result is
 * stored unless `run` stored it itself; on an error the key is released unless bound to a resource.
 */
export async function runClaimed<T extends object>(
  ctx: PaymentsContext,
  tenant: string,
  key: string,
  resume: string | undefined,
  run: (k: KeyContext) => Promise<T>,
): Promise<T> {
  const { store, deps } = ctx
  let result: T
  let answered = false
  try {
    result = await run({
      resume,
      bind: (tx, id) => store.bindKey(tx, tenant, key, id),
      key,
      answered: () => (answered = true),
    })
  } catch (err) {
    // A key bound to its resource stays (the gateway may have acted): the retry resumes it.
    await ctx
      .again(() => store.releaseKey(deps.db, tenant, key))
      .catch((e: unknown) =>
        deps.logger?.warn({ err: e }, 'idempotency key not released; it is taken over after a minute'),
      )
    throw err
  }
  if (!answered) await ctx.again(() => store.completeKey(deps.db, tenant, key, toJson(result)))
  return result
}
