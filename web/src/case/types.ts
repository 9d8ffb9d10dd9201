/** A case as the queue (GET /v1/cases) and the case page both show it. */
export interface CaseSummary {
  readonly caseId: string
  readonly subject: string
  readonly partyId: string | null
  readonly kind: string
  readonly status: string
  readonly priority: number
  readonly assignee: string | null
  readonly dueAt: string
}

/** GET /v1/cases/:id as JSON (src/modules/cases/views.ts CaseView; dates are ISO strings on the wire). */
export interface CaseDetail {
  readonly case: CaseSummary & { readonly openedAt: string; readonly outcome: string | null }
  readonly party: Readonly<Record<string, unknown>> | null
  readonly alerts: readonly CaseAlert[]
  readonly links: readonly {
    readonly type: 'transaction' | 'counterparty'
    readonly ref: string
    readonly facts: Readonly<Record<string, unknown>>
    readonly linkedBy: string
    readonly linkedAt: string
  }[]
  readonly timeline: readonly {
    readonly entryId: string
    readonly at: string
    readonly actor: string
    readonly action: string
    readonly details: Readonly<Record<string, unknown>>
  }[]
  readonly proposals: readonly Proposal[]
  readonly attachments: readonly { readonly attachmentId: string; readonly name: string }[]
}

export interface CaseAlert {
  readonly source: string
  readonly alertId: string
  readonly subject: string
  readonly rule: string
  readonly typology: string | null
  readonly score: number
  readonly priority: number
  readonly summary: string
  readonly raisedAt: string
  readonly payload: Readonly<Record<string, unknown>>
}

export interface Proposal {
  readonly proposalId: string
  readonly outcome: string
  readonly reason: string
  readonly whyFourEyes: string
  readonly proposedBy: string
  readonly proposedAt: string
  readonly status: 'pending' | 'approved' | 'rejected'
  readonly decidedBy: string | null
  readonly decidedAt: string | null
  readonly note: string | null
}

export const NARRATIVE_KEYS = ['who', 'what', 'when', 'where', 'why', 'how'] as const
export type NarrativeKey = (typeof NARRATIVE_KEYS)[number]

/** GET /v1/cases/:id/sar (src/modules/cases/sar.service.ts SarVersion; only the fields shown here). */
export interface SarVersion {
  readonly version: number
  readonly editedBy: string
  readonly createdAt: string
  readonly sha256: string
  readonly note: string | null
  readonly draft: {
    readonly subject: { readonly name: string | null; readonly accounts: readonly string[] }
    readonly activity: { readonly from: string | null; readonly to: string | null }
    readonly amounts: readonly { currency: string; formatted: string; count: number }[]
    readonly categories: readonly { category: string; subtype: string }[]
    readonly instruments: readonly string[]
    readonly narrative: Readonly<Record<NarrativeKey, string>>
  }
}
