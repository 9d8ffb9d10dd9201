import { randomBytes } from 'node:crypto'
import { sql } from 'kysely'
import {
  createBanking,
  type Banking,
  type BankDataProvider,
  type BankingDeps,
  type ProviderName,
} from '../../src/modules/banking/index.js'
import { createSandboxRail } from '../../src/modules/banking/index.js'
import { createCrypto, localKeyStore } from '../../src/modules/crypto/index.js'
import { bankingEvents } from '../../src/modules/banking/index.js'
import { createCatalogue, createOutbox, ledgerEvents } from '../../src/modules/events/index.js'
import { createLedger, type Ledger } from '../../src/modules/ledger/index.js'
import { fixedClock, type FixedClock } from '../../src/shared/clock.js'
import type { DbHandle } from '../../src/shared/db/connect.js'
import { systemIds } from '../../src/shared/ids.js'
import { isAppError } from '../../src/shared/errors.js'
import type { App } from '../../src/app.js'

export interface BankingHarness {
  readonly banking: Banking
  readonly ledger: Ledger
  readonly clock: FixedClock
  /** Payloads of the outbox rows of one topic for a tenant, oldest first. */
  outboxPayloads(tenant: string, topic: string): Promise<Record<string, unknown>[]>
}

/** A banking service on a real database with real ledger, crypto and outbox; providers as given. */
export async function bankingHarness(
  h: DbHandle,
  providers: Partial<Record<ProviderName, BankDataProvider>>,
  extra: Partial<Pick<BankingDeps, 'syncPageSize' | 'pollAfterMs' | 'rail'>> = {},
): Promise<BankingHarness> {
  const clock = fixedClock(new Date('2026-03-02T10:00:00Z'))
  const crypto = await createCrypto({
    db: h.db,
    clock,
    ids: systemIds,
    keyStore: localKeyStore(randomBytes(32)),
  })
  const ledger = createLedger({ db: h.db, clock, ids: systemIds })
  const outbox = createOutbox(createCatalogue([...ledgerEvents, ...bankingEvents]))
  const banking = createBanking({
    db: h.db,
    clock,
    ids: systemIds,
    ledger,
    outbox,
    fieldCipher: crypto.fieldCipher,
    providers,
    defaultProvider: 'sandbox',
    rail: createSandboxRail(),
    ...extra,
  })
  return {
    banking,
    ledger,
    clock,
    async outboxPayloads(tenant, topic) {
      const r = await sql<{ payload: Record<string, unknown> }>`SELECT payload FROM event_outbox
        WHERE tenant_id = ${tenant} AND topic = ${topic} ORDER BY seq`.execute(h.db)
      return r.rows.map((x) => x.payload)
    },
  }
}

/** The error code a promise rejects with ('no error' when it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return isAppError(e) ? e.code : `non-app:${String(e)}`
  }
  return 'no error'
}

/** An authenticated JSON caller for app.server.inject. */
export function apiCaller(server: App['server'], apiKey: () => string) {
  return (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    server.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${apiKey()}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    })
}
