import { DAY_MS, type PlantedCase } from '../monitoring/index.js'
import type { RiskLabel } from './replay.js'

/** Tests' labels: every planted case confirmed, known `knownAfterDays` after it ended. */
export const caseLabels = (cases: readonly PlantedCase[], knownAfterDays = 7): RiskLabel[] =>
  cases.map((c) => ({
    id: c.id,
    typology: c.typology,
    accounts: c.members,
    from: c.start,
    to: c.end,
    knownAt: c.end + knownAfterDays * DAY_MS,
    positive: true,
  }))
