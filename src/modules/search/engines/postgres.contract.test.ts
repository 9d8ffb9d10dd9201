import { describeEachDb, openTestDb } from '../../../../test/support/db.js'
import { searchEngineContract } from '../search.contract.js'
import { createPostgresEngine } from './postgres.js'

describeEachDb('postgres search engine', (target) => {
  searchEngineContract(`postgres (${target.name})`, async () => {
    const handle = await openTestDb(target)
    return { engine: createPostgresEngine(handle.db), close: () => handle.close() }
  })
})
