import type { AuthAuditPort } from './audit-port.js'
import { sql } from 'kysely'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { FieldCipher } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import { AUTH_EVENTS } from './auth.events.js'
import { mfaAlreadyEnrolled, mfaCodeInvalid, mfaNotStarted, operatorNotFound } from './auth.errors.js'
import { operatorById, type OperatorRow } from './operators.js'
import {
  enrolment,
  hashRecoveryCode,
  matchTotp,
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  type Enrolment,
} from './totp.js'

export interface MfaDeps {
  readonly db: Db
  readonly clock: Clock
  readonly fieldCipher: FieldCipher
  readonly outbox?: Outbox | undefined
  readonly audit?: AuthAuditPort | undefined
  readonly issuer: string
}

export type CodeCheck = 'ok' | 'wrong' | 'replayed'

export function createMfa(deps: MfaDeps) {
  const { db, clock } = deps
  const secretField = deps.fieldCipher.field({
    table: 'auth_operators',
    column: 'mfa_secret_ct',
    idColumn: 'operator_id',
  })
  const pendingField = deps.fieldCipher.field({
    table: 'auth_operators',
    column: 'mfa_pending_ct',
    idColumn: 'operator_id',
  })

  async function load(tenant: string, operatorId: string): Promise<OperatorRow> {
    const row = await operatorById(db, tenant, operatorId)
    if (!row) throw operatorNotFound(operatorId)
    return row
  }

  /**
   * Accepts a TOTP step at most once: the UPDATE succeeds only for a step later than the last one used,
   * in one statement, so of concurrent requests with one code exactly one gets the row.
   */
  async function consumeStep(row: OperatorRow, step: number): Promise<boolean> {
    const r = await sql`
      UPDATE auth_operators SET mfa_last_step = ${step}
      WHERE tenant_id = ${row.tenant_id} AND operator_id = ${row.operator_id}
        AND (mfa_last_step IS NULL OR mfa_last_step < ${step})`.execute(db)
    return Number(r.numAffectedRows ?? 0n) === 1
  }

  async function consumeRecoveryCode(row: OperatorRow, code: string): Promise<boolean> {
    const r = await sql`
      UPDATE auth_recovery_codes SET used_at = ${clock.now()}
      WHERE tenant_id = ${row.tenant_id} AND operator_id = ${row.operator_id}
        AND code_hash = ${hashRecoveryCode(code)} AND used_at IS NULL`.execute(db)
    return Number(r.numAffectedRows ?? 0n) === 1
  }

  return {
    async startEnrolment(tenant: string, operatorId: string): Promise<Enrolment> {
      const row = await load(tenant, operatorId)
      if (row.mfa_enrolled_at) throw mfaAlreadyEnrolled()
      const secret = newTotpSecret()
      await sql`
        UPDATE auth_operators SET mfa_pending_ct = ${await pendingField.encrypt(tenant, operatorId, secret)}
        WHERE tenant_id = ${tenant} AND operator_id = ${operatorId} AND mfa_enrolled_at IS NULL`.execute(db)
      return enrolment(secret, row.email, deps.issuer)
    },

    /** Checks a code from the app against the pending secret, activates it, returns recovery codes. */
    async activate(
      tenant: string,
      operatorId: string,
      code: string,
      onActivated: (tx: Db) => Promise<void>,
    ): Promise<string[]> {
      const row = await load(tenant, operatorId)
      if (row.mfa_enrolled_at) throw mfaAlreadyEnrolled()
      if (!row.mfa_pending_ct) throw mfaNotStarted()
      const secret = await pendingField.decryptString(tenant, operatorId, row.mfa_pending_ct)
      const step = matchTotp(secret, code, clock.now())
      if (step === undefined) throw mfaCodeInvalid()
      const codes = newRecoveryCodes()
      const secretCt = await secretField.encrypt(tenant, operatorId, secret)
      await db.transaction().execute(async (tx) => {
        const r = await sql`
          UPDATE auth_operators
          SET mfa_secret_ct = ${secretCt}, mfa_pending_ct = NULL, mfa_enrolled_at = ${clock.now()},
              mfa_last_step = ${step}
          WHERE tenant_id = ${tenant} AND operator_id = ${operatorId} AND mfa_enrolled_at IS NULL`.execute(tx)
        if (Number(r.numAffectedRows ?? 0n) !== 1) throw mfaAlreadyEnrolled()
        await sql`DELETE FROM auth_recovery_codes WHERE tenant_id = ${tenant} AND operator_id = ${operatorId}`.execute(
          tx,
        )
        await sql`
          INSERT INTO auth_recovery_codes (tenant_id, operator_id, code_hash)
          SELECT ${tenant}, ${operatorId}, h FROM unnest(${codes.map(hashRecoveryCode)}::bytea[]) AS h`.execute(
          tx,
        )
        await onActivated(tx)
        await deps.audit?.recordIn(tx, {
          tenant,
          actor: `operator:${operatorId}`,
          action: 'auth.mfa.activate',
          resource: operatorId,
          outcome: 'success',
          origin: 'api',
        })
      })
      return codes
    },

    /** A sign-in code: six digits are TOTP (±1 step, single use), anything else a recovery code. */
    async check(row: OperatorRow, code: string, address: string): Promise<CodeCheck> {
      if (!row.mfa_secret_ct) return 'wrong'
      if (/^\d{6}$/.test(code.trim())) {
        const secret = await secretField.decryptString(row.tenant_id, row.operator_id, row.mfa_secret_ct)
        const step = matchTotp(secret, code.trim(), clock.now())
        if (step === undefined) return 'wrong'
        if (await consumeStep(row, step)) return 'ok'
        const outbox = deps.outbox
        if (outbox) {
          const event = {
            tenantId: row.tenant_id,
            topic: AUTH_EVENTS.codeReused,
            key: row.operator_id,
            payload: { operatorId: row.operator_id, step, address },
          }
          await db.transaction().execute((tx) => outbox.enqueue(tx, [event]))
        }
        deps.audit?.record({
          tenant: row.tenant_id,
          actor: `operator:${row.operator_id}`,
          action: 'auth.mfa.code_reused',
          resource: row.operator_id,
          outcome: 'denied',
          origin: address,
          details: { step },
        })
        return 'replayed'
      }
      const recovery = normalizeRecoveryCode(code)
      return recovery && (await consumeRecoveryCode(row, recovery)) ? 'ok' : 'wrong'
    },

    /** Removes the second factor (lost phone): the operator enrols again at next sign-in. */
    async reset(tenant: string, operatorId: string, inSameTx?: (tx: Db) => Promise<void>): Promise<void> {
      await load(tenant, operatorId)
      await db.transaction().execute(async (tx) => {
        await inSameTx?.(tx)
        await sql`
          UPDATE auth_operators SET mfa_secret_ct = NULL, mfa_pending_ct = NULL, mfa_enrolled_at = NULL,
                                    mfa_last_step = NULL
          WHERE tenant_id = ${tenant} AND operator_id = ${operatorId}`.execute(tx)
        await sql`DELETE FROM auth_recovery_codes WHERE tenant_id = ${tenant} AND operator_id = ${operatorId}`.execute(
          tx,
        )
      })
    },

    async recoveryCodesLeft(tenant: string, operatorId: string): Promise<number> {
      const r = await sql<{ n: number | string }>`
        SELECT count(*) AS n FROM auth_recovery_codes
        WHERE tenant_id = ${tenant} AND operator_id = ${operatorId} AND used_at IS NULL`.execute(db)
      return Number(r.rows[0]?.n ?? 0)
    },
  }
}

export type Mfa = ReturnType<typeof createMfa>
