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
