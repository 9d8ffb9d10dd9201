import type { Command } from 'commander'
import {
  IDENTIFIER_TYPES,
  PARTY_KINDS,
  PARTY_ROLES,
  type Party,
  type PartyKind,
  type PartyRole,
  type ScreenOutcome,
} from '../../modules/parties/index.js'
import { DEFAULT_TENANT } from '../../modules/platform/index.js'
import { withServices } from '../context.js'
import { cliInvalid as bad } from '../output.js'

/** The CLI holds the database and acts as itself in audit entries. */
const CLI = { actor: 'cli', origin: 'cli' } as const
const collect = (v: string, acc: string[]): string[] => [...acc, v]

const line = (p: Party): string =>
  `${p.id}  ${p.kind.padEnd(12)} ${p.status.padEnd(10)} risk ${p.riskLevel.padEnd(10)} screening ${p.screeningStatus.padEnd(15)} ${p.details.names[0]?.value ?? ''}\n`

function printScreening(r: ScreenOutcome): void {
  if (r.warning) process.stderr.write(`warning: ${r.warning}\n`)
  process.stdout.write(
    `screening: ${r.party.screeningStatus}, ${r.hits.length} hit(s), ${r.newHits.length} new\n`,
  )
  for (const h of r.hits) process.stdout.write(`  ${h.score.toFixed(3)}  ${h.listId}:${h.entryKey}\n`)
}

/** `moneta parties create|list|get|screen` and `moneta lists sources|refresh`. */
export function registerPartiesCommands(program: Command): void {
  const parties = program.command('parties').description('Customers and counterparties (docs/parties.md)')

  parties
    .command('create')
    .description('Onboard a party and screen it')
    .requiredOption('--name <name>', 'a name (repeat: the first is the legal name)', collect, [])
    .option('--kind <kind>', PARTY_KINDS.join(' | '), 'person')
    .option('--role <role>', `${PARTY_ROLES.join(' | ')} (repeatable)`, collect, [])
    .option('--dob <date>', 'date of birth or incorporation, YYYY-MM-DD')
    .option('--nationality <country>', 'repeatable', collect, [])
    .option('--country <country>', 'residence or incorporation')
    .option('--id <type:value>', `identifier (${IDENTIFIER_TYPES.join(', ')}), repeatable`, collect, [])
    .option('--product <name>', 'product used (crypto, cross_border, …), repeatable', collect, [])
    .option('--idempotency-key <key>', 'replays return the same party')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(
      async (o: {
        name: string[]
        kind: string
        role: string[]
        dob?: string
        nationality: string[]
        country?: string
        id: string[]
        product: string[]
        idempotencyKey?: string
        tenant: string
        json?: boolean
      }) => {
        if (!(PARTY_KINDS as readonly string[]).includes(o.kind))
          throw bad(`--kind must be ${PARTY_KINDS.join(' or ')}`)
        const roles = o.role.length ? o.role : ['customer']
        for (const r of roles)
          if (!(PARTY_ROLES as readonly string[]).includes(r))
            throw bad(`--role must be ${PARTY_ROLES.join(' or ')}`)
        const identifiers = o.id.map((x) => {
          const i = x.indexOf(':')
          const type = x.slice(0, i)
          if (i < 1 || !(IDENTIFIER_TYPES as readonly string[]).includes(type))
            throw bad(`--id must look like passport:X1234567 (types: ${IDENTIFIER_TYPES.join(', ')})`)
          return { type: type as (typeof IDENTIFIER_TYPES)[number], value: x.slice(i + 1) }
        })
        const r = await withServices((s) =>
          s.parties.create(
            o.tenant,
            {
              kind: o.kind as PartyKind,
              roles: roles as PartyRole[],
              details: {
                names: o.name.map((value, i) => ({ value, kind: i === 0 ? 'legal' : 'alias' })),
                ...(o.dob ? { birthDate: o.dob } : {}),
                nationalities: o.nationality,
                ...(o.country ? { country: o.country } : {}),
                addresses: [],
                identifiers,
              },
              products: o.product,
            },
            CLI,
            { idempotencyKey: o.idempotencyKey },
          ),
        )
        if (o.json) {
          process.stdout.write(
            `${JSON.stringify({ party: r.party, created: r.created, screening: r.screening })}\n`,
          )
          return
        }
        process.stdout.write(line(r.party))
        if (r.screening) printScreening(r.screening)
      },
    )

  parties
    .command('list')
    .description('List parties (exact --name / --identifier search through blind indexes)')
    .option('--status <status>', 'onboarding | active | restricted | exited')
    .option('--risk <level>', 'low | medium | high | prohibited')
    .option('--screening <status>', 'not_screened | clear | possible_match | confirmed_match')
    .option('--name <name>', 'exact name (normalised)')
    .option('--identifier <value>', 'exact identifier')
    .option('--limit <n>', 'at most this many (1–200)', '50')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON lines')
    .action(
      async (o: {
        status?: string
        risk?: string
        screening?: string
        name?: string
        identifier?: string
        limit: string
        tenant: string
        json?: boolean
      }) => {
        const limit = Number(o.limit)
        if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw bad('--limit must be 1 to 200')
        const page = await withServices((s) =>
          s.parties.list(o.tenant, {
            status: o.status as Party['status'] | undefined,
            riskLevel: o.risk as Party['riskLevel'] | undefined,
            screeningStatus: o.screening as Party['screeningStatus'] | undefined,
            name: o.name,
            identifier: o.identifier,
            limit,
          }),
        )
        for (const p of page.items) process.stdout.write(o.json ? `${JSON.stringify(p)}\n` : line(p))
        if (!o.json && page.items.length === 0) process.stdout.write('no party\n')
      },
    )

  parties
    .command('get <id>')
    .description('One party, decrypted, with its risk reasons')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { tenant: string; json?: boolean }) => {
      const p = await withServices((s) => s.parties.get(o.tenant, id))
      if (o.json) {
        process.stdout.write(`${JSON.stringify(p)}\n`)
        return
      }
      process.stdout.write(line(p))
      for (const r of p.riskReasons) process.stdout.write(`  risk +${r.points} ${r.factor}: ${r.detail}\n`)
    })

  parties
    .command('screen <id>')
    .description('Screen a party now against the loaded lists; exit 3 when it has hits')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { tenant: string; json?: boolean }) => {
      const r = await withServices((s) => s.parties.screen(o.tenant, id, CLI))
      if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`)
      else printScreening(r)
      process.exitCode = r.hits.length > 0 ? 3 : 0
    })

  // `lists` is created by the screening commands (import, status): sources and refresh join it here.
  const lists = program.commands.find((c) => c.name() === 'lists') ?? program.command('lists')

  lists
    .command('sources')
    .description('Configured list sources (MONETA_LISTS_*) and the last fetch of each')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print as JSON')
    .action(async (o: { tenant: string; json?: boolean }) => {
      const { sources, last } = await withServices(async (s) => ({
        sources: s.lists.sources,
        last: await s.lists.lastFetches(o.tenant),
      }))
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify(sources.map((x) => ({ ...x, last: last.get(x.id) ?? null })))}\n`,
        )
        return
      }
      if (sources.length === 0) process.stdout.write('no source configured (MONETA_LISTS_SOURCES=none)\n')
      for (const x of sources) {
        const l = last.get(x.id)
        const seen = l
          ? `${l.status}${l.reason ? ` (${l.reason})` : ''} at ${l.fetchedAt.toISOString()}${l.entryCount !== undefined ? `, ${l.entryCount} entries` : ''}`
          : 'never fetched'
        process.stdout.write(
          `${x.id.padEnd(10)} ${x.format.padEnd(14)} ${x.url}${x.files ? ` {${x.files.join(',')}}` : ''}\n           last: ${seen}\n`,
        )
      }
    })

  lists
    .command('refresh [source]')
    .description(
      'Fetch the configured sources now (or one), check them, import and rescreen; exit 1 if any was refused',
    )
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .option('--json', 'print as JSON')
    .action(async (source: string | undefined, o: { tenant?: string; json?: boolean }) => {
      const out = await withServices((s) =>
        s.lists.refresh({ sourceId: source, ...(o.tenant ? { tenants: [o.tenant] } : {}) }),
      )
      if (o.json) process.stdout.write(`${JSON.stringify(out)}\n`)
      else
        for (const x of out)
          process.stdout.write(
            `${x.tenantId}  ${x.sourceId.padEnd(10)} ${x.status}${x.reason ? ` (${x.reason}: ${x.detail ?? ''})` : ''}${x.entryCount !== undefined ? `  ${x.entryCount} entries` : ''}${x.rescreen ? `  rescreened ${x.rescreen.subjects} subject(s), ${x.rescreen.alertsCreated} new alert(s)` : ''}\n`,
          )
      process.exitCode = out.some((x) => x.status === 'refused') ? 1 : 0
    })
}
