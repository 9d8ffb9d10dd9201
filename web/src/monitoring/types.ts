/** A rule as POST /v1/monitoring/rule-sets takes it (src/api/routes/monitoring.ts Rule). */
export interface Rule {
  readonly id: string
  readonly when: string
  readonly outcome: 'allow' | 'review' | 'block'
  readonly score: number
  readonly reason: string
  readonly description?: string
  readonly subject?: 'src' | 'dst'
  readonly typology?: string
}

export interface RuleSet {
  readonly version: number
  readonly status: string
  readonly note: string | null
  readonly createdAt: string
  readonly activatedAt: string | null
  readonly definition: { readonly rules: readonly Rule[] } & Readonly<Record<string, unknown>>
}

/** One problem the API's validator found (src/modules/monitoring/rules.ts RuleProblem). */
export interface Problem {
  readonly ruleId: string
  readonly index: number
  readonly field: string
  readonly message: string
  readonly position?: { start: number; end: number; line: number; column: number }
}
