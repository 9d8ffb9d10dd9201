export interface Balances {
  readonly debitsPending: string
  readonly debitsPosted: string
  readonly creditsPending: string
  readonly creditsPosted: string
  readonly posted: string
  readonly available: string
}

export interface Account {
  readonly id: string
  readonly code: string | null
  readonly currency: string
  readonly normalSide: 'debit' | 'credit'
  readonly balances: Balances
  readonly createdAt: string
}

export interface Entry {
  readonly accountId?: string
  readonly seq: string
  readonly transactionId: string
  readonly leg: number
  readonly kind: string
  readonly side: string
  readonly currency: string
  readonly pendingDelta: string
  readonly postedDelta: string
  readonly balanceAfter: Balances
  readonly createdAt: string
}

export interface Transaction {
  readonly id: string
  readonly status: string
  readonly idempotencyKey: string | null
  readonly legs: readonly { source: string; destination: string; amount: string; currency: string }[]
  readonly postedAmounts: readonly string[] | null
  readonly metadata: Record<string, unknown>
  readonly createdAt: string
  readonly resolvedAt: string | null
  readonly entries?: readonly Entry[]
}

/** The signed change an entry made: posted if any, else pending, negative for a debit. */
export const entryDelta = (e: Entry): string => (e.postedDelta !== '0' ? e.postedDelta : e.pendingDelta)
