import type { Command } from 'commander'
import { checkTerraform, loadTerraform } from '../../modules/pci/index.js'

/** `moneta pci …`: PCI DSS v4.0.1 evidence (docs/pci.md). */
export function registerPciCommands(program: Command): void {
  const pci = program.command('pci').description('PCI DSS v4.0.1: policy checks and compliance report')

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
