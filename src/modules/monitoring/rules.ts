import { Environment } from '@marcbachmann/cel-js'
import { AppError } from '../../shared/errors.js'
import { compileRe2, matchesCalls, re2Matches, rewriteMatches, RE2_FUNCTION } from './cel-regex.js'
import {
  DIRS,
  ENTITY_FEATURES,
  ENTITY_SLOTS,
  HISTORY_FIELDS,
  isRound,
  WINDOW_MS,
  WINDOW_NAMES,
  type EntitySlot,
  type EntityState,
  type FeatureSpec,
  type HistoryField,
} from './features.js'
import {
  currencyProfile,
  DAY_MS,
  OUTCOMES,
  type MonTxn,
  type Party,
  type RuleDef,
  type RuleSetDef,
} from './monitoring.js'
import { RULE_COST_MAX, ruleCost } from './rule-cost.js'
import { isRelativeField, relativeNone } from './relative.js'

/**
 * Rules are CEL expressions compiled once per rule-set version against one typed environment:
 * every variable and every feature is declared, so a typo or an unknown feature is a type error at
 * save time, with its position. At run time the variables are reusable view objects whose feature
 * fields are lazy getters over the feature store, memoised per transaction.
 */

// ---------------------------------------------------------------------------------------------
// Views

const windowIndex = new Map(WINDOW_NAMES.map((w, i) => [w, i]))
const dirIndex = new Map(DIRS.map((d, i) => [d, i]))

/** One entity as a rule sees it (src, dst, src_customer, …). Feature fields are prototype getters. */
export class EntityView {
  state: EntityState | undefined = undefined
  now = 0
  /** True for payer-side slots: history features (usual amount, z-score) use outgoing amounts. */
  out = true
  amount = 0
  cp = -1
  epoch = 0
  // memo of aggregates: per direction, all windows × (count, sum, max, round); stamp per direction
  readonly agg = new Float64Array(DIRS.length * WINDOW_NAMES.length * 4)
  aggStamp = -1
  aggUpTo = -1

  reset(
    state: EntityState | undefined,
    now: number,
    out: boolean,
    amount: number,
    cp: number,
    epoch: number,
  ): void {
    this.state = state
    this.now = now
    this.out = out
    this.amount = amount
    this.cp = cp
    this.epoch = epoch
  }

  aggregate(dirIdx: number, windowIdx: number, k: number): number {
    const fresh = this.aggStamp !== this.epoch
    if (fresh || this.aggUpTo < windowIdx) {
      // First use in this transaction: windows 0..windowIdx of all directions in one pass (short
      // windows stop early on busy entities). A longer window asked later: all windows, so at
      // most two passes per entity and transaction.
      const upTo = fresh ? windowIdx : WINDOW_NAMES.length - 1
      const s = this.state
      if (s) s.aggregateAll(this.now, this.agg, upTo)
      else this.agg.fill(0)
      this.aggStamp = this.epoch
      this.aggUpTo = upTo
    }
    return this.agg[(dirIdx * WINDOW_NAMES.length + windowIdx) * 4 + k]!
  }

  feature(spec: FeatureSpec): number | boolean {
    if (spec.kind === 'history') return this.hist(spec.field)
    return this.win(dirIndex.get(spec.dir)!, windowIndex.get(spec.window)!, METRIC_CODE[spec.metric])
  }

  hist(field: HistoryField): number | boolean {
    const s = this.state
    if (s) return s.history(field, this.now, this.out, this.amount, this.cp)
    if (isRelativeField(field)) return relativeNone(field)
    switch (field) {
      case 'days_since_last':
      case 'days_since_last_in':
      case 'days_since_last_out':
      case 'age_days':
        return -1
      case 'new_counterparty':
        return this.cp >= 0
      case 'flow_hours':
      case 'fresh_hours':
        return -1
      case 'flow_in_cross_border':
      case 'flow_in_new_sender':
      case 'flow_out_abroad':
      case 'fresh_in_new_sender':
      case 'monthly_counterparty':
        return false
      case 'history_count':
      case 'usual_amount':
      case 'amount_z':
      case 'flow_in_amount':
      case 'flow_out_share':
      case 'flow_out_payments':
      case 'alerted_in_72h':
      case 'alerted_in_passed':
      case 'round_out_count_4w':
      case 'flow_in_prior_days':
      case 'flow_out_new_share':
      case 'flow_out_new_payments':
      case 'flow_in_after':
      case 'flow_out_new_top_share':
      case 'fresh_in_amount':
      case 'fresh_in_after':
      case 'fresh_out_new_share':
      case 'cash_in_count_7d':
      case 'cash_in_sum_7d':
      case 'cash_in_max_7d':
      case 'cash_in_count_30d':
      case 'cash_in_sum_30d':
      case 'cash_in_max_30d':
      case 'cash_in_usual':
      case 'cash_in_outsized_count_7d':
      case 'cash_in_outsized_sum_7d':
      case 'person_in_count_7d':
      case 'person_in_sum_7d':
      case 'person_in_count_14d':
      case 'person_in_sum_14d':
      case 'person_in_count_30d':
      case 'person_in_sum_30d':
      case 'company_in_count_7d':
      case 'company_in_sum_7d':
      case 'unseen_out_count_48h':
      case 'unseen_out_sum_48h':
      case 'unseen_out_count_7d':
      case 'unseen_out_sum_7d':
        return 0
    }
  }

  /** metric: 0 count, 1 sum, 2 max, 3 round count, 4 avg, 5 distinct counterparties, 6 new ones. */
  win(di: number, wi: number, metric: number): number {
    if (metric < 4) return this.aggregate(di, wi, metric)
    if (metric === 4) {
      const c = this.aggregate(di, wi, 0)
      return c === 0 ? 0 : this.aggregate(di, wi, 1) / c
    }
    if (!this.state) return 0
    return metric === 5
      ? this.state.distinct(this.now, WINDOW_MS[wi]!, DIRS[di]!)
      : this.state.newDistinct(this.now, WINDOW_MS[wi]!, DIRS[di]!)
  }
}

const METRIC_CODE = {
  count: 0,
  sum: 1,
  max: 2,
  round_count: 3,
  avg: 4,
  distinct: 5,
  new_distinct: 6,
} as const

const entityFieldTypes: Record<string, string> = {}
for (const [name, spec] of ENTITY_FEATURES) {
  entityFieldTypes[name] = spec.kind === 'history' ? HISTORY_FIELDS[spec.field] : 'double'
  if (spec.kind === 'history') {
    const field = spec.field
    Object.defineProperty(EntityView.prototype, name, {
      get(this: EntityView) {
        return this.hist(field)
      },
    })
  } else {
    const di = dirIndex.get(spec.dir)!
    const wi = windowIndex.get(spec.window)!
    const m = METRIC_CODE[spec.metric]
    Object.defineProperty(EntityView.prototype, name, {
      get(this: EntityView) {
        return this.win(di, wi, m)
      },
    })
  }
}

/** The transaction as a rule sees it (`txn`). */
export class TxnView {
  id = ''
  amount = 0n
  currency = ''
  kind = ''
  src = ''
  dst = ''
  src_country = ''
  dst_country = ''
  hour = 0
  /** Length of the payment cycle this payment closes (0 = none); set by the engine. */
  cycle_len = 0
  /** Both sides belong to one customer (srcCustomer === dstCustomer). */
  same_owner = false
  /** A whole multiple of the currency's round unit (CURRENCY_PROFILES). */
  round = false
  /** The currency's cash reporting threshold in minor units (CURRENCY_PROFILES). */
  report_threshold = 0
  /** Days of activity the feature store has watched before this transaction (FeatureStore.watchedDays). */
  watched_days = 0

  reset(t: MonTxn, cycleLen: number, sameOwner = false, watchedDays = 0): void {
    this.id = t.id
    this.amount = t.amount
    this.currency = t.currency
    this.kind = t.kind
    this.src = t.src
    this.dst = t.dst
    this.src_country = t.srcCountry ?? ''
    this.dst_country = t.dstCountry ?? ''
    this.hour = Math.floor((t.at % DAY_MS) / 3_600_000)
    this.cycle_len = cycleLen
    this.same_owner = sameOwner
    const profile = currencyProfile(t.currency)
    this.report_threshold = profile.reportThreshold
    this.watched_days = watchedDays
    this.round = !sameOwner && isRound(t.amount, Number(t.amount), t.currency)
  }
}

const txnFieldTypes = {
  id: 'string',
  amount: 'int',
  currency: 'string',
  kind: 'string',
  src: 'string',
  dst: 'string',
  src_country: 'string',
  dst_country: 'string',
  hour: 'double',
  cycle_len: 'double',
  same_owner: 'bool',
  round: 'bool',
  report_threshold: 'double',
  watched_days: 'double',
} as const

/** KYC facts of one side (`src_party`, `dst_party`). Unknown parties: known = false, segment "unknown". */
export class PartyView {
  known = false
  segment = 'unknown'
  country = ''
  risk = 'unknown'
  age_days = -1

  reset(p: Party | undefined, now: number): void {
    if (!p) {
      this.known = false
      this.segment = 'unknown'
      this.country = ''
      this.risk = 'unknown'
      this.age_days = -1
      return
    }
    this.known = true
    this.segment = p.segment
    this.country = p.country
    this.risk = p.risk
    this.age_days = (now - p.openedAt) / DAY_MS
  }
}

const partyFieldTypes = {
  known: 'bool',
  segment: 'string',
  country: 'string',
  risk: 'string',
  age_days: 'double',
}

/** The variables of one evaluation; reused from one transaction to the next. */
export interface EvalContext {
  readonly txn: TxnView
  readonly src: EntityView
  readonly dst: EntityView
  readonly src_customer: EntityView
  readonly dst_customer: EntityView
  readonly device: EntityView
  readonly card: EntityView
  readonly address: EntityView
  readonly src_party: PartyView
  readonly dst_party: PartyView
}

export function newEvalContext(): EvalContext {
  return {
    txn: new TxnView(),
    src: new EntityView(),
    dst: new EntityView(),
    src_customer: new EntityView(),
    dst_customer: new EntityView(),
    device: new EntityView(),
    card: new EntityView(),
    address: new EntityView(),
    src_party: new PartyView(),
    dst_party: new PartyView(),
  }
}

// ---------------------------------------------------------------------------------------------
// Lists: versioned data, read by `in_list("name", value)`.

export type ListSnapshot = ReadonlyMap<string, ReadonlySet<string>>
/** The list snapshot of the evaluation in progress (evaluation is synchronous). */
const listHolder: { current: ListSnapshot } = { current: new Map() }
export function withLists(lists: ListSnapshot): void {
  listHolder.current = lists
}

// ---------------------------------------------------------------------------------------------
// Environment and compilation

const env = new Environment({
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: 2000, maxDepth: 64 },
})
  .registerType('Txn', { ctor: TxnView, fields: txnFieldTypes })
  .registerType('Entity', { ctor: EntityView, fields: entityFieldTypes })
  .registerType('Party', { ctor: PartyView, fields: partyFieldTypes })
  .registerVariable('txn', 'Txn')
  .registerVariable('src_party', 'Party')
  .registerVariable('dst_party', 'Party')
  .registerFunction(
    'in_list(string, string): bool',
    (name: string, value: string) => listHolder.current.get(name)?.has(value) === true,
  )
  // linear-time `matches` (RE2): see cel-regex.ts
  .registerFunction(`${RE2_FUNCTION}(string, string): bool`, re2Matches)
for (const slot of ENTITY_SLOTS) env.registerVariable(slot, 'Entity')

export type CompiledFn = (ctx: EvalContext) => unknown

export interface CompiledRule {
  readonly def: RuleDef
  /** The fast path: the checked AST compiled to JavaScript, falling back to cel-js on any error. */
  readonly fn: CompiledFn
  /** The reference evaluator (cel-js interpreter). */
  readonly cel: CompiledFn
  /** True when `fn` is compiled JavaScript (false: the expression uses constructs only cel-js runs). */
  readonly compiled: boolean
  /** Features the expression reads, as "slot.feature". */
  readonly features: readonly string[]
  readonly lists: readonly string[]
}

export interface CompiledRuleSet {
  readonly version: number
  readonly def: RuleSetDef
  readonly rules: readonly CompiledRule[]
  readonly fallback: RuleSetDef['fallback'] & string
  readonly budgetMs: number
}

export interface RuleProblem {
  readonly ruleId: string
  readonly index: number
  readonly field: string
  readonly message: string
  /** 0-based character offsets into `when`, and the 1-based line and column of the start. */
  readonly position?: { start: number; end: number; line: number; column: number }
}

interface AstNode {
  op: string
  args: unknown
  start?: number
  end?: number
}

const isNode = (x: unknown): x is AstNode => typeof x === 'object' && x !== null && 'op' in x && 'args' in x

function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const c of node) walk(c, visit)
    return
  }
  if (!isNode(node)) return
  visit(node)
  walk(node.args, visit)
}

function positionOf(src: string, start: number, end: number): NonNullable<RuleProblem['position']> {
  const before = src.slice(0, start)
  const line = before.split('\n').length
  const column = start - before.lastIndexOf('\n')
  return { start, end, line, column }
}

/** First line of a cel-js message (the rest is a source excerpt we replace by a structured position). */
const summary = (message: string): string => message.split('\n')[0]!.trim()

const ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/

/** Checks a rule set without compiling it for use; returns every problem found. */
export function checkRuleSet(def: RuleSetDef, knownLists: ReadonlySet<string>): RuleProblem[] {
  return compileInternal(def, 0, knownLists).problems
}

/** Compiles a rule set, or throws MONITORING_RULE_INVALID listing every problem with its position. */
export function compileRuleSet(
  def: RuleSetDef,
  version: number,
  knownLists: ReadonlySet<string>,
): CompiledRuleSet {
  const { problems, compiled } = compileInternal(def, version, knownLists)
  if (problems.length > 0 || !compiled) throw ruleSetInvalid(problems)
  return compiled
}

/** MONITORING_RULE_INVALID listing every problem, the first one in the message. */
export function ruleSetInvalid(problems: readonly RuleProblem[]): AppError {
  const first = problems[0]!
  const where = first.position ? ` at line ${first.position.line}, column ${first.position.column}` : ''
  return new AppError(
    'MONITORING_RULE_INVALID',
    'invalid',
    `Rule "${first.ruleId}" ${first.field}${where}: ${first.message}` +
      (problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''),
    { details: { problems } },
  )
}

export function compileInternal(
  def: RuleSetDef,
  version: number,
  knownLists: ReadonlySet<string>,
): { problems: RuleProblem[]; compiled?: CompiledRuleSet } {
  const problems: RuleProblem[] = []
  const rules: CompiledRule[] = []
  const seen = new Set<string>()
  if (!Array.isArray(def.rules) || def.rules.length === 0) {
    problems.push({ ruleId: '-', index: -1, field: 'rules', message: 'A rule set needs at least one rule.' })
  }
  if (def.fallback !== undefined && !OUTCOMES.includes(def.fallback)) {
    problems.push({
      ruleId: '-',
      index: -1,
      field: 'fallback',
      message: 'fallback must be allow, review or block.',
    })
  }
  if (def.budgetMs !== undefined && !(def.budgetMs > 0 && def.budgetMs <= 10_000)) {
    problems.push({ ruleId: '-', index: -1, field: 'budgetMs', message: 'budgetMs must be in (0, 10000].' })
  }
  def.rules.forEach((rule, index) => {
    const ruleId = typeof rule.id === 'string' ? rule.id : `#${index}`
    const p = (field: string, message: string, position?: RuleProblem['position']): void => {
      problems.push(
        position ? { ruleId, index, field, message, position } : { ruleId, index, field, message },
      )
    }
    if (!ID.test(ruleId))
      p('id', 'id must be 1–64 chars of a-z, 0-9, _, . or -, starting with a letter or digit.')
    if (seen.has(ruleId)) p('id', `duplicate rule id "${ruleId}".`)
    seen.add(ruleId)
    if (!OUTCOMES.includes(rule.outcome)) p('outcome', 'outcome must be allow, review or block.')
    if (typeof rule.score !== 'number' || !Number.isFinite(rule.score))
      p('score', 'score must be a finite number.')
    if (typeof rule.reason !== 'string' || rule.reason.trim() === '')
      p('reason', 'reason must be a non-empty text.')
    if (rule.subject !== undefined && rule.subject !== 'src' && rule.subject !== 'dst') {
      p('subject', 'subject must be src or dst.')
    }
    if (typeof rule.when !== 'string' || rule.when.trim() === '') {
      p('when', 'when must be a non-empty CEL expression.')
      return
    }
    const checked = env.check(rule.when)
    if (!checked.valid) {
      const err = checked.error as { message: string; range?: { start: number; end: number } }
      const range = err.range
      const text = summary(err.message)
      const key = /^No such key: (\w+)/.exec(text)?.[1]
      const message = key
        ? `unknown feature or field "${key}" (entity features look like out_count_24h, in_distinct_7d, amount_z; see docs/monitoring.md).`
        : text
      p('when', message, range ? positionOf(rule.when, range.start, range.end) : undefined)
      return
    }
    if (String(checked.type) !== 'bool') {
      p(
        'when',
        `the expression must be a bool, it is ${String(checked.type)}.`,
        positionOf(rule.when, 0, rule.when.length),
      )
      return
    }
    const parsed = env.parse(rule.when) as unknown as CompiledFn & { ast: unknown }
    const cost = ruleCost(parsed.ast)
    if (cost > RULE_COST_MAX) {
      p(
        'when',
        `the expression may do up to ${cost} steps per evaluation (at most ${RULE_COST_MAX}): nest fewer comprehensions or iterate shorter lists.`,
        positionOf(rule.when, 0, rule.when.length),
      )
      return
    }
    let regexProblem = false
    for (const { pattern } of matchesCalls(parsed.ast)) {
      if (pattern.op !== 'value' || typeof pattern.args !== 'string') continue // checked when run
      try {
        compileRe2(pattern.args)
      } catch (e) {
        p('when', (e as Error).message, positionOf(rule.when, pattern.start ?? 0, pattern.end ?? 0))
        regexProblem = true
      }
    }
    if (regexProblem) return
    // evaluation runs the source with `matches` replaced by the RE2 function
    const rewritten = rewriteMatches(rule.when, parsed.ast)
    const cel = rewritten ? (env.parse(rewritten) as unknown as CompiledFn & { ast: unknown }) : parsed
    const fn = parsed
    const features = new Set<string>()
    const lists = new Set<string>()
    let listProblem = false
    walk(fn.ast, (n) => {
      if (n.op === '.' && Array.isArray(n.args)) {
        const [target, field] = n.args as [unknown, unknown]
        if (isNode(target) && target.op === 'id' && typeof field === 'string')
          features.add(`${String(target.args)}.${field}`)
      }
      if (n.op === 'call' && Array.isArray(n.args) && n.args[0] === 'in_list') {
        const first = (n.args[1] as unknown[] | undefined)?.[0]
        if (!isNode(first) || first.op !== 'value' || typeof first.args !== 'string') {
          p(
            'when',
            'the first argument of in_list must be a literal list name.',
            positionOf(rule.when, n.start ?? 0, n.end ?? 0),
          )
          listProblem = true
        } else if (!knownLists.has(first.args)) {
          p(
            'when',
            `unknown list "${first.args}" (known: ${[...knownLists].sort().join(', ') || 'none'}).`,
            positionOf(rule.when, first.start ?? 0, first.end ?? 0),
          )
          listProblem = true
        } else lists.add(first.args)
      }
    })
    if (listProblem) return
    const jit = compileToJs(cel.ast)
    const fast: CompiledFn = jit
      ? (ctx) => {
          try {
            return jit(ctx, listHolder.current)
          } catch {
            return cel(ctx) // exact CEL semantics (errors, error absorption) on the rare failing path
          }
        }
      : cel
    rules.push({
      def: rule,
      fn: fast,
      cel,
      compiled: jit !== undefined,
      features: [...features].sort(),
      lists: [...lists],
    })
  })
  if (problems.length > 0) return { problems }
  return {
    problems,
    compiled: {
      version,
      def,
      rules,
      fallback: def.fallback ?? 'review',
      budgetMs: def.budgetMs ?? 50,
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Compilation of a type-checked CEL AST to JavaScript (the hot path).
//
// Only constructs whose JavaScript meaning equals CEL's for the declared types are compiled:
// variables, fields, literals, && || ! ?:, comparisons (JS compares bigint with number exactly,
// like CEL's heterogeneous numeric comparison), + - * / % (the checker guarantees both sides have
// the same type: bigint or number), unary minus, in_list() and double(). Anything else (macros,
// string functions, lists, maps, indexing, int overflow checks) keeps the cel-js interpreter. A
// compiled rule that throws (e.g. integer division by zero) is re-run by cel-js, so errors and
// CEL's error absorption in && / || behave exactly as the reference.

type JitFn = (ctx: EvalContext, lists: ListSnapshot) => unknown

const VARIABLES = new Set(['txn', 'src_party', 'dst_party', ...ENTITY_SLOTS])
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*$/
const BINARY = new Set(['&&', '||', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%'])

function toJs(node: unknown): string | undefined {
  if (!isNode(node)) return undefined
  const a = node.args
  switch (node.op) {
    case 'id':
      return typeof a === 'string' && VARIABLES.has(a) ? `ctx.${a}` : undefined
    case '.': {
      if (!Array.isArray(a)) return undefined
      const [target, field] = a as [unknown, unknown]
      const obj = toJs(target)
      return obj !== undefined && typeof field === 'string' && FIELD_RE.test(field)
        ? `${obj}.${field}`
        : undefined
    }
    case 'value':
      if (typeof a === 'bigint') return `${a}n`
      if (typeof a === 'number') return Number.isFinite(a) ? `(${String(a)})` : undefined
      if (typeof a === 'string') return JSON.stringify(a)
      if (typeof a === 'boolean') return String(a)
      return undefined
    case '!_': {
      const x = toJs(a)
      return x === undefined ? undefined : `(!${x})`
    }
    case '-_': {
      const x = toJs(a)
      return x === undefined ? undefined : `(-${x})`
    }
    case '?:': {
      if (!Array.isArray(a) || a.length !== 3) return undefined
      const [c, t, f] = a.map(toJs)
      return c === undefined || t === undefined || f === undefined ? undefined : `(${c} ? ${t} : ${f})`
    }
    case 'call': {
      if (!Array.isArray(a)) return undefined
      const [name, args] = a as [unknown, unknown[]]
      const xs = Array.isArray(args) ? args.map(toJs) : []
      if (xs.some((x) => x === undefined)) return undefined
      if (name === 'in_list' && xs.length === 2) return `(lists.get(${xs[0]})?.has(${xs[1]}) === true)`
      if (name === 'double' && xs.length === 1) return `toDouble(${xs[0]})`
      if (name === RE2_FUNCTION && xs.length === 2) return `re2(${xs[0]}, ${xs[1]})`
      return undefined
    }
    default: {
      if (!BINARY.has(node.op) || !Array.isArray(a) || a.length !== 2) return undefined
      const l = toJs(a[0])
      const r = toJs(a[1])
      return l === undefined || r === undefined ? undefined : `(${l} ${node.op} ${r})`
    }
  }
}

function toDouble(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  throw new Error('double() of a non-number') // cel-js then decides
}

/** JavaScript for a checked AST, or undefined when it uses constructs left to cel-js. */
export function compileToJs(ast: unknown): JitFn | undefined {
  const body = toJs(ast)
  if (body === undefined) return undefined
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from a type-checked AST, see above
  const make = new Function('toDouble', 're2', `return function rule(ctx, lists) { return ${body} }`) as (
    d: typeof toDouble,
    r: typeof re2Matches,
  ) => JitFn
  return make(toDouble, re2Matches)
}

/** Reads the features a rule saw, for explain output and alert context. */
export function featureValues(rule: CompiledRule, ctx: EvalContext): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const f of rule.features) {
    const [slot, field] = f.split('.') as [keyof EvalContext, string]
    const view = ctx[slot] as unknown as Record<string, unknown> | undefined
    if (!view) continue
    const v = view[field]
    out[f] = typeof v === 'bigint' ? v.toString() : v
  }
  return out
}

/** The feature catalogue, for docs and the API. */
export function describeFeatures(): { variables: Record<string, string>; entityFeatures: string[] } {
  return {
    variables: {
      txn: Object.entries(txnFieldTypes)
        .map(([k, t]) => `${k}:${t}`)
        .join(', '),
      src_party: 'known, segment, country, risk, age_days',
      dst_party: 'known, segment, country, risk, age_days',
      ...Object.fromEntries(ENTITY_SLOTS.map((s: EntitySlot) => [s, 'Entity'])),
    },
    entityFeatures: [...ENTITY_FEATURES.keys()],
  }
}
