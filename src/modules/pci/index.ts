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
