import { createWriteStream, readFileSync } from 'node:fs'
import { once } from 'node:events'
import type { Command } from 'commander'
import { verifyExport, type VerifyReport } from '../../modules/audit/index.js'
import { verifyEvidenceBundle } from '../../modules/cases/index.js'
import { withServices } from '../context.js'

function printReport(r: VerifyReport): void {
  const head = `${r.tenant}: ${r.entries} entries, tree size ${r.treeSize}, ${r.checkpointsVerified}/${r.checkpoints} checkpoints verified${r.pruned ? `, ${r.pruned} pruned by retention` : ''}`
  process.stdout.write(`${r.ok ? 'OK  ' : 'FAIL'} ${head}${r.root ? `, root ${r.root}` : ''}\n`)
  for (const f of r.findings)
    process.stdout.write(
      `     ${f.kind.padEnd(10)} seq ${f.seq}${f.foundAt !== undefined ? ` (found at ${f.foundAt})` : ''}: ${f.message}\n`,
    )
}

/** `moneta audit verify|export|prune`. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Tamper-evident audit log')

  audit
    .command('verify')
    .description(
      "Recompute each tenant's Merkle log from its entries and signed checkpoints; name every entry altered, removed, inserted or reordered",
    )
    .option('--tenant <id>', 'only this tenant (default: all)')
    .option('--json', 'print JSON reports')
    .option('--full', 'check every entry MAC and stored leaf hash even when the signed roots match')
    .action(async (opts: { tenant?: string; json?: boolean; full?: boolean }) => {
      // Set after the database closes: PGlite's shutdown resets process.exitCode.
      process.exitCode = await withServices(async (s) => {
        await s.audit.flush()
        const tenants = opts.tenant ? [opts.tenant] : await s.audit.tenants()
        let bad = 0
        for (const t of tenants) {
          const started = Date.now()
          const r = await s.audit.verify(t, { full: !!opts.full })
          if (!r.ok) bad++
          if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, ms: Date.now() - started })}\n`)
          else printReport(r)
        }
        if (!opts.json) process.stdout.write(`${tenants.length} log(s) verified, ${bad} with findings\n`)
        return bad > 0 ? 1 : 0
      })
    })

  audit
    .command('export')
    .description(
      'Write a self-contained JSON-lines export (header with the public key, entries, signed checkpoints)',
    )
    .requiredOption('--tenant <id>', 'tenant')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--from <seq>', 'first entry', '0')
    .option('--to <seq>', 'stop before this entry')
    .action(async (opts: { tenant: string; out?: string; from: string; to?: string }) =>
      withServices(async (s) => {
        await s.audit.flush()
        const out = opts.out ? createWriteStream(opts.out) : process.stdout
        const write = async (line: string): Promise<void> => {
          if (!out.write(`${line}\n`)) await once(out, 'drain')
        }
        const n = await s.audit.export(opts.tenant, write, {
          from: Number(opts.from),
          ...(opts.to ? { to: Number(opts.to) } : {}),
        })
        if (opts.out) {
          await new Promise<void>((resolve) => out.end(resolve))
          process.stderr.write(
            `exported ${n.entries} entries and ${n.checkpoints} checkpoints to ${opts.out}\n`,
          )
        }
      }),
    )

  audit
    .command('verify-export <file>')
    .description('Check an export offline (no database, no secret): leaves, tree and every signed checkpoint')
    .action((file: string) => {
      const r = verifyExport(readFileSync(file, 'utf8').split('\n'))
      process.stdout.write(
        `${r.ok ? 'OK  ' : 'FAIL'} ${r.tenant ?? '?'}: ${r.entries} entries, ${r.checkpointsVerified} checkpoints verified\n`,
      )
      for (const p of r.problems) process.stdout.write(`     ${p}\n`)
      if (!r.ok) process.exitCode = 1
    })

  audit
    .command('verify-bundle <file>')
    .description(
      'Check a case evidence bundle offline: every byte, its signature, the checkpoint signature, each inclusion proof',
    )
    .option(
      '--public-key <base64>',
      "pin the signer (the audit log's public key from GET /v1/audit/checkpoint)",
    )
    .action((file: string, opts: { publicKey?: string }) => {
      const r = verifyEvidenceBundle(readFileSync(file, 'utf8'), opts.publicKey)
      process.stdout.write(
        `${r.ok ? 'OK  ' : 'FAIL'} case ${r.caseId ?? '?'} of ${r.tenant ?? '?'}: ${r.entries} audit entries proven, signed by key ${r.keyId ?? '?'}${opts.publicKey ? ' (pinned)' : ' (not pinned: pass --public-key to check whose key it is)'}\n`,
      )
      for (const p of r.problems) process.stdout.write(`     ${p}\n`)
      if (!r.ok) process.exitCode = 1
    })

  audit
    .command('prune')
    .description(
      'Retention: drop entry texts older than N days (leaf hashes and MACs stay, so the log still verifies)',
    )
    .requiredOption('--older-than-days <n>', 'age in days')
    .option('--tenant <id>', 'only this tenant (default: all)')
    .action(async (opts: { olderThanDays: string; tenant?: string }) =>
      withServices(async (s) => {
        const days = Number(opts.olderThanDays)
        if (!Number.isFinite(days) || days < 0) {
          process.stderr.write('--older-than-days must be a number ≥ 0\n')
          process.exitCode = 2
          return
        }
        const before = new Date(s.clock.now().getTime() - days * 86_400_000)
        const tenants = opts.tenant ? [opts.tenant] : await s.audit.tenants()
        let n = 0
        for (const t of tenants) n += await s.audit.prune(t, before)
        await s.audit.record({
          tenant: '_system',
          actor: 'cli',
          action: 'audit.log.prune',
          resource: opts.tenant ?? '*',
          outcome: 'success',
          origin: 'cli',
          details: { before: before.toISOString(), entries: n },
        })
        await s.audit.flush()
        process.stdout.write(`pruned ${n} entries older than ${before.toISOString()}\n`)
      }),
    )
}
