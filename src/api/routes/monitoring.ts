import { Type, type Static } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import {
  alertPayload,
  describeFeatures,
  type AlertRecord,
  type FiredRule,
  type MonTxn,
  type Party,
  type RuleSetDef,
  type RuleSetRecord,
} from '../../modules/monitoring/index.js'
import { MinorUnits } from '../schemas.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

export { ErrorResponse }

export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' })
const Country = Type.String({ pattern: '^[A-Z]{2}$' })
const Outcome = Type.Union([Type.Literal('allow'), Type.Literal('review'), Type.Literal('block')])
const Kind = Type.Union([
  Type.Literal('transfer'),
  Type.Literal('card'),
  Type.Literal('cash_deposit'),
  Type.Literal('cash_withdrawal'),
  Type.Literal('wire'),
  Type.Literal('ach'),
])

const Rule = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    when: Type.String({
      minLength: 1,
      maxLength: 4000,
      description: 'CEL expression; see docs/monitoring.md',
    }),
    outcome: Outcome,
    score: Type.Number(),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    subject: Type.Optional(Type.Union([Type.Literal('src'), Type.Literal('dst')])),
    typology: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
)
const RuleSetFields = {
  rules: Type.Array(Rule, { minItems: 1, maxItems: 500 }),
  fallback: Type.Optional(Outcome),
  budgetMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
  reviewScore: Type.Optional(Type.Number()),
  blockScore: Type.Optional(Type.Number()),
}
const RuleSetBody = Type.Object(
  { ...RuleSetFields, note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
)
const RuleSetResponse = Type.Object({
  version: Type.Integer(),
  status: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  activatedAt: Type.Union([Type.String(), Type.Null()]),
  definition: Type.Unknown(),
})
const VersionParams = Type.Object(
  { version: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }) },
  { additionalProperties: false },
)

const TxnFields = {
  id: Id,
  at: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
  amount: MinorUnits({ positive: true }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  kind: Kind,
  src: Id,
  dst: Id,
  srcCountry: Type.Optional(Country),
  dstCountry: Type.Optional(Country),
  srcCustomer: Type.Optional(Id),
  dstCustomer: Type.Optional(Id),
  device: Type.Optional(Id),
  card: Type.Optional(Id),
  address: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'payer address key (tracked as an entity)' }),
  ),
}
export const Txn = Type.Object(TxnFields, { additionalProperties: false })

export const PartyItem = Type.Object(
  {
    id: Id,
    segment: Type.Union([
      Type.Literal('individual'),
      Type.Literal('business'),
      Type.Literal('merchant'),
      Type.Literal('external'),
    ]),
    country: Country,
    risk: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
    openedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
)
export const toParty = (p: Static<typeof PartyItem>): Party => ({ ...p, openedAt: Date.parse(p.openedAt) })

/**
 * Items per batch, chosen so that a full batch of ordinary items fits the default body limit
 * (MONETA_BODY_LIMIT_BYTES, 1 MiB): a transaction is ~250 bytes of JSON, a party ~120, a label
 * ~300 plus its members (the e2e test sends full batches). A batch over the limit answers 400;
 * a body over the byte limit 413 BODY_TOO_LARGE (raise both together).
 */
export const BATCH_LIMITS = { transactions: 2_000, parties: 5_000, labels: 1_000, listItems: 20_000 } as const
const EvaluateBody = Type.Object(
  {
    ...TxnFields,
    explain: Type.Optional(Type.Boolean()),
    dryRun: Type.Optional(Type.Boolean()),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'dry-run this rule-set version' })),
    budgetMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
)
const Fired = Type.Object({
  ruleId: Type.String(),
  outcome: Outcome,
  score: Type.Number(),
  reason: Type.String(),
  subject: Type.String(),
  typology: Type.Optional(Type.String()),
})
const AlertResponse = Type.Object({
  alertId: Type.String(),
  ruleSetVersion: Type.Integer(),
  ruleId: Type.String(),
  typology: Type.Union([Type.String(), Type.Null()]),
  subject: Type.String(),
  outcome: Outcome,
  score: Type.Number(),
  reason: Type.String(),
  txnId: Type.String(),
  at: Type.String(),
  hits: Type.Integer(),
  status: Type.String(),
  context: Type.Unknown(),
  createdAt: Type.String(),
})
const EvaluateResponse = Type.Object({
  decision: Type.Object({
    txnId: Type.String(),
    outcome: Outcome,
    score: Type.Number(),
    fired: Type.Array(Fired),
    degraded: Type.Boolean(),
    elapsedMs: Type.Number(),
  }),
  ruleSetVersion: Type.Union([Type.Integer(), Type.Null()]),
  replayed: Type.Boolean(),
  alerts: Type.Array(AlertResponse),
  shadow: Type.Array(Type.Object({ version: Type.Integer(), outcome: Outcome, fired: Type.Array(Fired) })),
  explain: Type.Optional(
    Type.Array(
      Type.Object({
        ruleId: Type.String(),
        fired: Type.Boolean(),
        outcome: Outcome,
        score: Type.Number(),
        reason: Type.String(),
        features: Type.Record(Type.String(), Type.Unknown()),
        error: Type.Optional(Type.String()),
      }),
    ),
  ),
})

export const toTxn = (b: Static<typeof Txn>, now: Date): MonTxn => ({
  id: b.id,
  at: b.at ? Date.parse(b.at) : now.getTime(),
  amount: BigInt(b.amount),
  currency: b.currency,
  kind: b.kind,
  src: b.src,
  dst: b.dst,
  ...(b.srcCountry ? { srcCountry: b.srcCountry } : {}),
  ...(b.dstCountry ? { dstCountry: b.dstCountry } : {}),
  ...(b.srcCustomer ? { srcCustomer: b.srcCustomer } : {}),
  ...(b.dstCustomer ? { dstCustomer: b.dstCustomer } : {}),
  ...(b.device ? { device: b.device } : {}),
  ...(b.card ? { card: b.card } : {}),
  ...(b.address ? { address: b.address } : {}),
})

const ruleSetView = (r: RuleSetRecord) => ({
  version: r.version,
  status: r.status,
  note: r.note,
  createdAt: r.createdAt.toISOString(),
  activatedAt: r.activatedAt ? r.activatedAt.toISOString() : null,
  definition: r.definition,
})

// The event payload plus what only the API shows (dedup count, workflow status, creation time).
const alertView = (a: AlertRecord) => ({
  ...alertPayload(a),
  hits: a.hits,
  status: a.status,
  createdAt: a.createdAt.toISOString(),
})

const firedView = (f: FiredRule) => ({
  ruleId: f.ruleId,
  outcome: f.outcome,
  score: f.score,
  reason: f.reason,
  subject: f.subject,
  ...(f.typology ? { typology: f.typology } : {}),
})

function ruleSetDef(b: Static<typeof RuleSetBody>): RuleSetDef {
  const { note: _note, ...def } = b
  return def
}

export function registerMonitoringRoutes(app: ApiApp, services: AppServices): void {
  const m = services.monitoring
  const tags = ['monitoring']

  app.get(
    '/v1/monitoring/rule-sets',
    {
      schema: {
        tags,
        summary: 'List rule-set versions',
        response: { 200: Type.Object({ data: Type.Array(RuleSetResponse) }) },
      },
    },
    async (req) => ({ data: (await m.listRuleSets(tenantOf(req))).map(ruleSetView) }),
  )

  app.post(
    '/v1/monitoring/rule-sets',
    {
      schema: {
        tags,
        summary:
          'Save a new draft version (rejected with every problem and its position when a rule is invalid)',
        body: RuleSetBody,
        response: { 201: RuleSetResponse, 400: ErrorResponse },
      },
    },
    async (req, reply) => {
      const rec = await m.saveRuleSet(
        tenantOf(req),
        ruleSetDef(req.body),
        req.body.note ? { note: req.body.note } : {},
      )
      return reply.status(201).send(ruleSetView(rec))
    },
  )

  app.post(
    '/v1/monitoring/rule-sets/validate',
    {
      schema: {
        tags,
        summary: 'Check a rule set without saving it',
        body: RuleSetBody,
        response: { 200: Type.Object({ valid: Type.Boolean(), problems: Type.Array(Type.Unknown()) }) },
      },
    },
    async (req) => {
      const problems = await m.validateRuleSet(tenantOf(req), ruleSetDef(req.body))
      return { valid: problems.length === 0, problems }
    },
  )

  app.get(
    '/v1/monitoring/rule-sets/:version',
    {
      schema: {
        tags,
        summary: 'One rule-set version',
        params: VersionParams,
        response: { 200: RuleSetResponse, 404: ErrorResponse },
      },
    },
    async (req) => ruleSetView(await m.getRuleSet(tenantOf(req), Number(req.params.version))),
  )

  for (const [action, status] of [
    ['shadow', 'shadow'],
    ['activate', 'active'],
    ['retire', 'retired'],
  ] as const) {
    app.post(
      `/v1/monitoring/rule-sets/:version/${action}`,
      {
        schema: {
          tags,
          summary:
            action === 'activate'
              ? 'Make this version active (the previous active version is retired)'
              : action === 'shadow'
                ? 'Evaluate this draft in shadow next to the active set (no alerts, no decisions)'
                : 'Retire this version',
          params: VersionParams,
          response: { 200: RuleSetResponse, 404: ErrorResponse, 409: ErrorResponse },
        },
      },
      async (req) => ruleSetView(await m.transition(tenantOf(req), Number(req.params.version), status)),
    )
  }

  app.get(
    '/v1/monitoring/lists',
    {
      schema: {
        tags,
        summary: 'Latest version of every list',
        response: {
          200: Type.Object({
            data: Type.Array(
              Type.Object({ name: Type.String(), version: Type.Integer(), size: Type.Integer() }),
            ),
          }),
        },
      },
    },
    async (req) => ({ data: await m.lists(tenantOf(req)) }),
  )

  app.put(
    '/v1/monitoring/lists/:name',
    {
      schema: {
        tags,
        summary: 'Save a new version of a list (high_risk_countries, watchlist, …)',
        params: Type.Object(
          { name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }) },
          { additionalProperties: false },
        ),
        body: Type.Object(
          {
            items: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
              maxItems: BATCH_LIMITS.listItems,
            }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ name: Type.String(), version: Type.Integer(), size: Type.Integer() }),
          400: ErrorResponse,
        },
      },
    },
    async (req) => m.saveList(tenantOf(req), req.params.name, req.body.items),
  )

  app.put(
    '/v1/monitoring/parties',
    {
      schema: {
        tags,
        summary: 'Create or update account holders (KYC facts the rules read as src_party / dst_party)',
        body: Type.Object(
          {
            parties: Type.Array(PartyItem, { minItems: 1, maxItems: BATCH_LIMITS.parties }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ upserted: Type.Integer() }), 400: ErrorResponse },
      },
    },
    async (req) => {
      return { upserted: await m.upsertParties(tenantOf(req), req.body.parties.map(toParty)) }
    },
  )

  app.post(
    '/v1/monitoring/evaluate',
    {
      schema: {
        tags,
        summary: 'Decide on one transaction now (allow / review / block) within the latency budget',
        body: EvaluateBody,
        response: { 200: EvaluateResponse, 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => {
      const { explain, dryRun, version, budgetMs, ...txn } = req.body
      const r = await m.evaluate(tenantOf(req), toTxn(txn, services.clock.now()), {
        ...(explain !== undefined ? { explain } : {}),
        ...(dryRun !== undefined ? { dryRun } : {}),
        ...(version !== undefined ? { version } : {}),
        ...(budgetMs !== undefined ? { budgetMs } : {}),
      })
      return {
        decision: { ...r.decision, fired: r.decision.fired.map(firedView) },
        ruleSetVersion: r.ruleSetVersion,
        replayed: r.replayed,
        alerts: r.alerts.map(alertView),
        shadow: r.shadow.map((x) => ({
          version: x.version,
          outcome: x.outcome,
          fired: x.fired.map(firedView),
        })),
        ...(r.explain ? { explain: r.explain.map((e) => ({ ...e })) } : {}),
      }
    },
  )

  app.post(
    '/v1/monitoring/events',
    {
      schema: {
        tags,
        summary:
          'Evaluate a batch of ledger or bank events asynchronously-style (stored, alerts raised, no decision returned)',
        body: Type.Object(
          { transactions: Type.Array(Txn, { minItems: 1, maxItems: BATCH_LIMITS.transactions }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ evaluated: Type.Integer(), replayed: Type.Integer(), alerts: Type.Integer() }),
          400: ErrorResponse,
        },
      },
    },
    async (req) => {
      const now = services.clock.now()
      return m.ingest(
        tenantOf(req),
        req.body.transactions.map((t) => toTxn(t, now)),
      )
    },
  )

  app.post(
    '/v1/monitoring/backtests',
    {
      schema: {
        tags,
        summary:
          'Replay stored history through a rule-set version; hits, alerts per day, precision/recall against labels',
        body: Type.Object(
          {
            version: Type.Integer({ minimum: 1 }),
            from: Type.String({ format: 'date-time' }),
            to: Type.String({ format: 'date-time' }),
            compare: Type.Optional(Type.Boolean()),
            warmupDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 180 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Unknown(), 400: ErrorResponse, 404: ErrorResponse },
      },
    },
    async (req) => {
      const b = req.body
      return m.backtest(tenantOf(req), {
        version: b.version,
        from: new Date(b.from),
        to: new Date(b.to),
        ...(b.compare !== undefined ? { compare: b.compare } : {}),
        ...(b.warmupDays !== undefined ? { warmupDays: b.warmupDays } : {}),
      })
    },
  )

  app.get(
    '/v1/monitoring/alerts',
    {
      schema: {
        tags,
        summary: 'Alerts, newest first',
        querystring: Type.Object(
          {
            ruleId: Type.Optional(Type.String({ maxLength: 64 })),
            subject: Type.Optional(Id),
            status: Type.Optional(Type.String({ maxLength: 32 })),
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Type.Optional(
              Type.String({ pattern: '^[1-9][0-9]{0,2}$|^1000$', description: '1–1000, default 100' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ data: Type.Array(AlertResponse) }), 400: ErrorResponse },
      },
    },
    async (req) => {
      const q = req.query
      const alerts = await m.listAlerts(tenantOf(req), {
        ...(q.ruleId ? { ruleId: q.ruleId } : {}),
        ...(q.subject ? { subject: q.subject } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.from ? { from: new Date(q.from) } : {}),
        ...(q.to ? { to: new Date(q.to) } : {}),
        ...(q.limit ? { limit: Number(q.limit) } : {}),
      })
      return { data: alerts.map(alertView) }
    },
  )

  app.get(
    '/v1/monitoring/alerts/:alertId',
    {
      schema: {
        tags,
        summary: 'One alert with its full context',
        params: Type.Object({ alertId: Id }, { additionalProperties: false }),
        response: { 200: AlertResponse, 404: ErrorResponse },
      },
    },
    async (req) => alertView(await m.getAlert(tenantOf(req), req.params.alertId)),
  )

  app.get(
    '/v1/monitoring/features',
    {
      schema: {
        tags,
        summary: 'The variables and entity features a rule can use',
        response: {
          200: Type.Object({
            variables: Type.Record(Type.String(), Type.String()),
            entityFeatures: Type.Array(Type.String()),
          }),
        },
      },
    },
    () => describeFeatures(),
  )
}
