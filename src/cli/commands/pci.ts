import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { auditSigner } from '../../modules/crypto/index.js'
import {
  checkTerraform,
  findLoggedReport,
  formatReport,
  generatePciReport,
  loadTerraform,
  verifyReport,
  secretsScanner,
} from '../../modules/pci/index.js'
import { withServices } from '../context.js'

/** Scanned for hard-coded credentials by default (8.6.2), besides the config file: the deployment. */
const DEFAULT_SCAN = ['deploy']

/** `moneta pci …`: PCI DSS v4.0.1 evidence (docs/pci.md). */
export function registerPciCommands(program: Command): void {
  const pci = program.command('pci').description('PCI DSS v4.0.1: compliance report and policy checks')

  pci
    .command('report')
    .description(
      'Report requirement by requirement (pass / fail / n/a, with evidence) from the running configuration and database; signed with the audit key and recorded in the audit log',
    )
    .option('--format <format>', 'md or json', 'md')
    .option('--out <file>', 'write the report here (default: stdout)')
    .option('--scan <path...>', 'paths to scan for secrets (default: the config file and ./deploy)')
    .action(async (opts: { format: string; out?: string; scan?: string[] }) => {
      if (opts.format !== 'md' && opts.format !== 'json') {
        process.stderr.write('--format must be md or json\n')
        process.exitCode = 2
        return
      }
      const format = opts.format
      process.exitCode = await withServices(async (s) => {
        const { serverLoggerOptions } = await import('../../app.js')
        const scanner = secretsScanner()
        const paths = [
          ...(s.config.provenance.configFile ? [s.config.provenance.configFile] : []),
          ...(opts.scan ?? DEFAULT_SCAN.filter((p) => existsSync(p))),
        ]
        const report = await generatePciReport({
          config: s.config,
          db: s.db.db,
          clock: s.clock,
          keyring: s.crypto.keyring,
          audit: s.audit,
          recorder: s.audit,
          loggerOptions: serverLoggerOptions(s.config),
          secrets: { scanner, paths },
          signer: auditSigner(s.crypto.keyring.auditKeys()),
          actor: 'cli',
        })
        const text = formatReport(report, format)
        if (opts.out) writeFileSync(opts.out, text)
        else process.stdout.write(text)
        const { pass, fail, notApplicable } = report.body.summary
        process.stderr.write(
          `${pass} pass, ${fail} fail, ${notApplicable} n/a; digest ${report.digest} recorded in the audit log; public key ${report.signature.publicKey}\n`,
        )
        return fail > 0 ? 1 : 0
      })
    })

  pci
    .command('verify-report <file>')
    .description(
      'Check a report: signature, not edited (JSON or Markdown), optionally the audit entry that recorded it',
    )
    .option('--public-key <base64>', "pin the signer (the audit log's public key)")
    .option(
      '--against-log',
      'also find the audit entry of this report in the configured database and verify that log',
    )
    .action(async (file: string, opts: { publicKey?: string; againstLog?: boolean }) => {
      const r = verifyReport(readFileSync(file, 'utf8'), opts.publicKey)
      const problems = [...r.problems]
      let seq: number | undefined
      if (opts.againstLog && r.digest) {
        const digest = r.digest
        const logged = await withServices((s) => findLoggedReport(s.audit, digest))
        problems.push(...logged.problems)
        seq = logged.seq
      }
      const ok = problems.length === 0
      process.stdout.write(
        `${ok ? 'OK  ' : 'FAIL'} report of ${r.body?.generatedAt ?? '?'} signed by key ${r.keyId ?? '?'}${opts.publicKey ? ' (pinned)' : ' (not pinned: pass --public-key)'}, digest ${r.digest ?? '?'}${seq !== undefined ? `, audit entry ${seq}` : ''}\n`,
      )
      for (const p of problems) process.stdout.write(`     ${p}\n`)
      if (!ok) process.exitCode = 1
    })

  pci
    .command('check-terraform [dir]')
    .description('Check a Terraform module against the PCI DSS controls of deploy/terraform/aws')
    .option('--json', 'print JSON')
    .action(async (dir: string | undefined, opts: { json?: boolean }) => {
      const findings = checkTerraform(await loadTerraform(dir ?? 'deploy/terraform/aws'))
      if (opts.json) process.stdout.write(`${JSON.stringify(findings, null, 2)}\n`)
      else
        for (const f of findings) {
          process.stdout.write(`${f.ok ? 'PASS' : 'FAIL'} ${f.requirement.padEnd(9)} ${f.title}\n`)
          for (const p of f.problems) process.stdout.write(`     ${p}\n`)
        }
      if (findings.some((f) => !f.ok)) process.exitCode = 1
    })
}
