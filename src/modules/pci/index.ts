/**
 * PCI DSS v4.0.1 as code: policy checks over the AWS Terraform module (deploy/terraform/aws) and
 * the compliance report generated from a running installation's configuration and state.
 *
 *   checkTerraform(await loadTerraform('deploy/terraform/aws'))  → one finding per control
 */
export { checkTerraform, TERRAFORM_CONTROLS } from './terraform-policy.js'
export type { TerraformControl, TerraformFinding } from './terraform-policy.js'
export { loadTerraform, modelFromTexts } from './terraform-model.js'
export type { TfModel } from './terraform-model.js'
export {
  generatePciReport,
  reportBody,
  PCI_CHECKS,
  REPORT_AUDIT_TENANT,
  REPORT_AUDIT_ACTION,
} from './report.service.js'
export type { GenerateDeps } from './report.service.js'
export { collectFacts, CHD_PERMISSIONS, CRYPTOPERIOD_DAYS } from './collect.js'
export type { CollectDeps, SecretsScanPort } from './collect.js'
export type { PciFacts } from './facts.js'
export type { PciCheck, PciReportBody, CheckStatus } from './report.js'
export { formatReport, verifyReport, reportDigest, signReport } from './signing.js'
export type { SignedPciReport, ReportSigner, ReportCheck } from './signing.js'
export { findLoggedReport } from './report-log.js'
export type { LoggedReport } from './report-log.js'
export { secretsScanner } from './secrets-port.js'
