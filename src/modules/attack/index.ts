/**
 * `moneta attack`: the security test suite run from the outside against a deployment. Every check
 * talks to the target over HTTP only (fetch), as an attacker would; nothing here opens the database.
 */
export { runAttack, type AttackOptions } from './attack.js'
export { formatTable, type AttackReport, type CheckResult } from './report.js'
export { createHttpClient, type HttpClient } from './http.js'
export { createVictim, type Victim } from './operators.js'
export { checkTotpReplay } from './checks/mfa.js'
export { listOperations, fillPath, sampleBody, type Operation } from './openapi.js'
export {
  seedTenant,
  snapshot,
  sweep,
  badOutcome,
  type Probe,
  type SeedOptions,
  type TenantSeed,
} from './isolation.js'
