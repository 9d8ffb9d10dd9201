import type { Logger } from 'pino'
import type { Clock } from '../../shared/clock.js'
import type { Db } from '../../shared/db/connect.js'
import type { IdGenerator } from '../../shared/ids.js'
import type { AuditRecord } from '../audit/index.js'
import type { BoundField } from '../crypto/index.js'
import type { Outbox } from '../events/index.js'
import type { FourEyesPolicy, SlaHours } from './cases.js'
import type { SarTransaction } from './sar.js'

/**
 * Where case actions are audited. Called inside the transaction of the change, so an adapter that
 * writes the entry in `tx` makes it commit (or roll back) with the change.
 */
export interface CaseAuditSink {
  record(tx: Db, entry: AuditRecord): Promise<void>
  /** A batch's entries in one write (alert intake touches hundreds of cases per batch). */
  recordAll(tx: Db, entries: readonly AuditRecord[]): Promise<void>
}

/** A party as the case view shows it (from the parties module when it is wired). */
export interface PartyLookup {
  get(tenant: string, partyId: string): Promise<Readonly<Record<string, unknown>> | undefined>
}

/** Transactions of an account in a period (monitoring's history), for a SAR's activity facts. */
export interface TransactionHistory {
  ofAccount(
    tenant: string,
    account: string,
    from: Date,
    to: Date,
    limit: number,
  ): Promise<readonly SarTransaction[]>
}

/** Everything the cases use cases share. Built once by createCases. */
export interface CasesContext {
  readonly db: Db
  readonly clock: Clock
  readonly ids: IdGenerator
  readonly logger?: Logger | undefined
  readonly outbox: Outbox
  readonly audit: CaseAuditSink
  /** Attachment contents, encrypted per tenant and attachment id. */
  readonly attachmentCipher: BoundField
  readonly sla: SlaHours
  readonly fourEyes: FourEyesPolicy
  readonly parties?: PartyLookup | undefined
  readonly history?: TransactionHistory | undefined
}
