import { randomBytes } from 'node:crypto'
import type { AuditKeys } from '../../src/modules/crypto/index.js'
import { createCrypto, localKeyStore } from '../../src/modules/crypto/index.js'
import type { Clock } from '../../src/shared/clock.js'
import type { DbHandle } from '../../src/shared/db/connect.js'
import { systemIds } from '../../src/shared/ids.js'

/** Audit signing and MAC keys of a fresh keyring on `h` (a random master key of the test's own). */
export async function testAuditKeys(h: DbHandle, clock: Clock): Promise<AuditKeys> {
  const crypto = await createCrypto({
    db: h.db,
    clock,
    ids: systemIds,
    keyStore: localKeyStore(randomBytes(32)),
  })
  return crypto.keyring.auditKeys()
}

/** A valid entry about a test change of `resource` in `tenant`, by an operator. */
export const thingRecord = (tenant: string, resource: string) =>
  ({
    tenant,
    actor: 'operator:op_1',
    action: 'test.thing.change',
    resource,
    outcome: 'success',
    origin: 'test',
  }) as const
