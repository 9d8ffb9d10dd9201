import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { AppServices } from '../../app.js'
import type { MonTxn } from '../../modules/monitoring/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'
import { cliInvalid as bad } from '../output.js'

const time = (v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined
  const t = Date.parse(v)
  if (!Number.isFinite(t)) throw bad(`${what} must be an ISO time.`)
  return t
}

const print = (v: unknown): boolean => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`)

async function audit(
  s: AppServices,
  tenant: string,
  actor: string,
  action: string,
  resource: string,
  details: Record<string, unknown>,
): Promise<void> {
  await s.audit.record({ tenant, actor, action, resource, outcome: 'success', origin: 'cli', details })
}

/**
 * `moneta risk train|evaluate|promote|explain` (docs/risk.md). Promotion from the CLI names the
 * operator who decides (`--as EMAIL`, an operator of the tenant); the audit entry records both the
 * CLI and that operator. The CLI holds the database, so it is trusted like an administrator.
 */
export function registerRiskCommands(program: Command): Command {
  const risk = program
    .command('risk')
    .description('The learned risk model: train, evaluate, promote, explain')

  risk
    .command('train')
    .description('Train a shadow model on the stored history and confirmed case outcomes')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--from <iso>', 'window start (default: first stored transaction)')
    .option('--to <iso>', 'window end (default: a day after the last)')
    .option('--trees <n>', 'trees (1–500)')
    .option('--depth <n>', 'tree depth (1–8)')
    .option('--starting-model <name>', 'bundled (default: boost from the model Moneta ships) or none')
    .action(
      async (o: {
        tenant: string
        from?: string
        to?: string
        trees?: string
        depth?: string
        startingModel?: string
      }) =>
        withServices(async (s) => {
          const from = time(o.from, '--from')
          const to = time(o.to, '--to')
          const r = await s.risk.train(
            o.tenant,
            {
              ...(from !== undefined ? { from } : {}),
              ...(to !== undefined ? { to } : {}),
              ...(o.trees ? { trees: Number(o.trees) } : {}),
              ...(o.depth ? { depth: Number(o.depth) } : {}),
              ...(o.startingModel ? { startingModel: o.startingModel as 'bundled' | 'none' } : {}),
            },
            'cli',
          )
          await audit(s, o.tenant, 'cli', 'risk.model.train', `risk_models:${r.model.modelId}`, {
            version: r.model.version,
            retired: r.retired,
          })
          // the change report: metrics and feature importance against the model it would replace
          print({ model: { ...r.model }, gate: r.gate, changes: r.changes })
        }),
    )

  risk
    .command('evaluate <modelId>')
    .description(
      'Gate figures against the live configuration now, and feature drift (PSI) of the last 7 days',
    )
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (modelId: string, o: { tenant: string }) =>
      withServices(async (s) => {
        const r = await s.risk.evaluate(o.tenant, modelId)
        if (r.driftAlerts > 0)
          await audit(s, o.tenant, 'cli', 'risk.drift.alert', `risk_models:${modelId}`, {
            drifting: r.driftAlerts,
          })
        print(r)
      }),
    )

  risk
    .command('promote <modelId>')
    .description('Make a shadow model live if it passes the gate')
    .requiredOption('--as <email>', 'the operator who decides (recorded as promoted_by)')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (modelId: string, o: { tenant: string; as: string }) =>
      withServices(async (s) => {
        const op = await s.auth.findOperator({ email: o.as })
        if (!op || op.tenantId !== o.tenant) throw bad(`No operator ${o.as} in tenant ${o.tenant}.`)
        const actor = `operator:${op.id}`
        const r = await s.risk.promote(o.tenant, modelId, { actor, operator: true })
        await audit(s, o.tenant, actor, 'risk.model.promote', `risk_models:${modelId}`, {
          via: 'cli',
          gate: { ...r.gate },
        })
        print(r)
      }),
    )

  risk
    .command('retire <modelId>')
    .description('Take a shadow model out of the decision path (it stays in the registry)')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (modelId: string, o: { tenant: string }) =>
      withServices(async (s) => {
        const model = await s.risk.retire(o.tenant, modelId, 'cli')
        await audit(s, o.tenant, 'cli', 'risk.model.retire', `risk_models:${modelId}`, {
          version: model.version,
        })
        print({ model })
      }),
    )

  risk
    .command('explain <file>')
    .description(
      'Score one transaction (JSON: id, at, amount, currency, kind, src, dst, …) and explain each side',
    )
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (file: string, o: { tenant: string }) =>
      withServices(async (s) => {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
        const txn = {
          ...raw,
          at: typeof raw.at === 'string' ? Date.parse(raw.at) : Number(raw.at ?? Date.now()),
          amount: BigInt(String(raw.amount)),
        } as unknown as MonTxn
        print(await s.risk.score(o.tenant, txn, { explain: true }))
      }),
    )
  return risk
}
