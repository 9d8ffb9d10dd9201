export interface Payment {
  readonly id: string
  readonly status: string
  readonly amount: string
  readonly currency: string
  readonly capture: 'automatic' | 'manual'
  readonly amountCapturable: string
  readonly amountCaptured: string
  readonly amountRefunded: string
  readonly amountDisputed: string
  readonly customer: string | null
  readonly gateway: string | null
  readonly gatewayRef: string | null
  readonly description: string | null
  readonly createdAt: string
}

export interface TimelineItem {
  readonly at: string
  readonly kind: 'state' | 'gateway_call' | 'webhook_received' | 'ledger_posting' | 'webhook_sent'
  readonly title: string
  readonly details: Record<string, string>
  readonly entries?: readonly {
    account: string
    side: 'debit' | 'credit'
    kind: string
    amount: string
    currency: string
    balanceAfter: string
  }[]
}

/** A charge a gateway made for a payment booked elsewhere (or canceled), and its reversal (ADR 0506). */
export interface StrayCharge {
  readonly id: string
  readonly paymentId: string
  /** The gateway that charged; the payment is booked at another one (or nowhere). */
  readonly gateway: string
  readonly gatewayRef: string
  readonly amount: string
  readonly currency: string
  /** failed: the sweeper could not reverse it, so an operator must do it by hand at that gateway. */
  readonly status: 'pending' | 'reversed' | 'failed'
  readonly reversal: 'canceled' | 'refunded' | 'none' | null
  readonly reversalRef: string | null
  /** Minor units: the fee the gateway kept on a refunded charge (booked as an expense). */
  readonly reversalFee: string | null
  readonly attempts: number
  readonly lastError: string | null
  /** Who marked it reversed by hand after its automatic reversal failed, and their note. */
  readonly resolvedBy: string | null
  readonly note: string | null
  readonly createdAt: string
  readonly updatedAt: string
}

export interface SearchHit {
  readonly type: string
  readonly id: string
  readonly title: string
  readonly highlight: readonly { text: string; match: boolean }[]
  readonly occurredAt: string
  readonly amount?: string
  readonly currency?: string
  readonly attributes: Record<string, string>
}

export const refundable = (p: Payment): bigint => BigInt(p.amountCaptured) - BigInt(p.amountRefunded)
