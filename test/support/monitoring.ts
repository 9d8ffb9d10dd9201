import { defaultRuleSet, type Monitoring } from '../../src/modules/monitoring/index.js'

/**
 * A tenant monitored as the risk suites need it: the default pack active, the two lists it reads
 * (high-risk countries as given, an empty watchlist), and a stored history loaded without raising
 * alerts (importHistory) — what a model is trained on.
 */
export async function loadMonitoredHistory(
  monitoring: Monitoring,
  tenant: string,
  highRiskCountries: readonly string[],
  history: Parameters<Monitoring['importHistory']>[1],
): Promise<void> {
  await monitoring.saveList(tenant, 'high_risk_countries', [...highRiskCountries])
  await monitoring.saveList(tenant, 'watchlist', [])
  const rs = await monitoring.saveRuleSet(tenant, defaultRuleSet())
  await monitoring.transition(tenant, rs.version, 'active')
  await monitoring.importHistory(tenant, history)
}
