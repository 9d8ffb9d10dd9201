import { writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import type { AppServices } from '../../app.js'
import { ROLE_GRANTS } from '../../modules/auth/index.js'
import { CASE_OUTCOMES, type Actor, type Case, type CaseOutcome } from '../../modules/cases/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { operatorIn, withServices } from '../context.js'
import { cliInvalid as bad } from '../output.js'

/**
 * Who acts from the CLI: `--as EMAIL` acts as that operator (its id and role's grants), so four-eyes
 * compares operators, not shell users; without it the actor is `cli` with every case permission.
 * (The CLI already holds the database: it is trusted like an administrator.)
 */
async function actorFor(s: AppServices, tenant: string, as: string | undefined): Promise<Actor> {
  if (!as) return { id: 'cli', grants: ['cases:*'], origin: 'cli' }
  const op = await operatorIn(s, tenant, as)
  return { id: `operator:${op.id}`, grants: ROLE_GRANTS[op.role], origin: 'cli' }
}

const line = (c: Case): string =>
  `${c.caseId}  P${c.priority}  ${c.status.padEnd(13)} ${c.kind.padEnd(10)} due ${c.dueAt.toISOString()}  ${c.partyId ?? '-'}  ${c.subject}  alerts ${c.alertCount}${c.assignee ? `  → ${c.assignee}` : ''}${c.outcome ? `  [${c.outcome}]` : ''}\n`

interface Common {
  tenant: string
  as?: string
}

/** `moneta cases list|show|assign|comment|close|approve` (sar and evidence: see sar/evidence commands). */
export function registerCasesCommands(program: Command): Command {
  const cases = program.command('cases').description('Compliance cases: alerts grouped per party and subject')

  cases
    .command('list')
    .description('The queue, most urgent first (priority, then due date)')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--status <status>', 'open | investigating | escalated | closed (default: all but closed)')
    .option('--assignee <id>', 'only this assignee')
    .option('--kind <kind>', 'monitoring | screening | market')
    .option('--limit <n>', 'rows', '50')
    .option('--json', 'print JSON')
    .action(
      async (
        o: Common & { status?: string; assignee?: string; kind?: string; limit: string; json?: boolean },
      ) =>
        withServices(async (s) => {
          const page = await s.cases.queue(o.tenant, {
            ...(o.status ? { status: o.status as Case['status'] } : {}),
            ...(o.assignee ? { assignee: o.assignee } : {}),
            ...(o.kind ? { kind: o.kind as Case['kind'] } : {}),
            limit: Number(o.limit),
          })
          if (o.json) process.stdout.write(`${JSON.stringify(page)}\n`)
          else for (const c of page.cases) process.stdout.write(line(c))
        }),
    )

  cases
    .command('show <id>')
    .description('A case with its alerts, links, timeline and proposals (JSON)')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .action(async (id: string, o: Common) =>
      withServices(async (s) => {
        process.stdout.write(`${JSON.stringify(await s.cases.get(o.tenant, id), null, 2)}\n`)
      }),
    )

  cases
    .command('assign <id> <assignee>')
    .description('Assign the case ("none" unassigns); an open case starts its investigation')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator')
    .action(async (id: string, assignee: string, o: Common) =>
      withServices(async (s) => {
        await s.cases.assign(
          o.tenant,
          id,
          assignee === 'none' ? null : assignee,
          await actorFor(s, o.tenant, o.as),
        )
        await s.audit.flush()
        process.stdout.write(`${id} assigned to ${assignee}\n`)
      }),
    )

  cases
    .command('comment <id> <text>')
    .description('Add a comment to the timeline')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator')
    .action(async (id: string, text: string, o: Common) =>
      withServices(async (s) => {
        await s.cases.comment(o.tenant, id, text, await actorFor(s, o.tenant, o.as))
        await s.audit.flush()
        process.stdout.write('comment added\n')
      }),
    )

  cases
    .command('close <id>')
    .description(
      'Close with an outcome; true_positive / sar_filed / clearing a strong match waits for approval',
    )
    .requiredOption('--outcome <outcome>', CASE_OUTCOMES.join(' | '))
    .requiredOption('--reason <text>', 'why')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator')
    .action(async (id: string, o: Common & { outcome: string; reason: string }) =>
      withServices(async (s) => {
        if (!(CASE_OUTCOMES as readonly string[]).includes(o.outcome))
          throw bad(`--outcome must be one of ${CASE_OUTCOMES.join(', ')}`)
        const r = await s.cases.close(
          o.tenant,
          id,
          { outcome: o.outcome as CaseOutcome, reason: o.reason },
          await actorFor(s, o.tenant, o.as),
        )
        await s.audit.flush()
        process.stdout.write(
          r.status === 'closed'
            ? `${id} closed: ${r.outcome}\n`
            : `${id}: proposal ${r.proposal.proposalId} waits for a second operator (${r.proposal.whyFourEyes})\n`,
        )
      }),
    )

  cases
    .command('approve <id>')
    .description('As a second operator, approve (or --reject) the pending closing proposal')
    .option('--reject', 'reject instead')
    .option('--note <text>', 'note')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator')
    .action(async (id: string, o: Common & { reject?: boolean; note?: string }) =>
      withServices(async (s) => {
        const r = await s.cases.decide(
          o.tenant,
          id,
          { approve: !o.reject, ...(o.note ? { note: o.note } : {}) },
          await actorFor(s, o.tenant, o.as),
        )
        await s.audit.flush()
        process.stdout.write(
          r.status === 'closed' ? `${id} closed: ${r.outcome}\n` : `${id}: proposal rejected\n`,
        )
      }),
    )
  cases
    .command('sar <id>')
    .description('Generate a SAR draft from the case facts (--new), or print the latest (or --version) draft')
    .option('--new', 'generate a new draft version now')
    .option('--format <f>', 'json | html | xml (FinCEN BSA XML batch structure)', 'json')
    .option('--version <n>', 'an earlier version')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator')
    .action(
      async (id: string, o: Common & { new?: boolean; format: string; version?: string; out?: string }) =>
        withServices(async (s) => {
          if (!['json', 'html', 'xml'].includes(o.format)) throw bad('--format must be json, html or xml')
          if (o.new) {
            const v = await s.cases.draftSar(o.tenant, id, await actorFor(s, o.tenant, o.as))
            await s.audit.flush()
            process.stderr.write(`draft version ${v.version} (sha256 ${v.sha256})\n`)
          }
          const out = await s.cases.exportSar(
            o.tenant,
            id,
            o.format as 'json' | 'html' | 'xml',
            o.version ? Number(o.version) : undefined,
          )
          if (o.out) writeFileSync(o.out, out.body)
          else process.stdout.write(`${out.body}\n`)
        }),
    )
  cases
    .command('evidence <id>')
    .description('Write the signed evidence bundle (verify it with `moneta audit verify-bundle FILE`)')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--tenant <id>', 'tenant', DEFAULT_TENANT)
    .option('--as <email>', 'act as this operator')
    .action(async (id: string, o: Common & { out?: string }) =>
      withServices(async (s) => {
        const text = await s.cases.evidenceBundle(o.tenant, id, await actorFor(s, o.tenant, o.as))
        await s.audit.flush()
        if (o.out) {
          writeFileSync(o.out, text)
          process.stderr.write(`evidence bundle of ${id} written to ${o.out} (${text.length} bytes)\n`)
        } else process.stdout.write(text)
      }),
    )
  return cases
}
