import { describe, it } from 'vitest'
import { newId } from '../../shared/ids.js'
import { openTestDb } from '../../../test/support/db.js'
import { testRedisUrl } from '../../../test/support/redis.js'
import { testKafkaBrokers } from '../../../test/support/kafka.js'
import { runBusContract } from './bus.contract.js'
import { createMemoryTransport } from './adapters/memory.js'
import { createRedisTransport } from './adapters/redis-streams.js'
import { createKafkaTransport } from './adapters/kafka.js'

const openDb = () => openTestDb({ name: 'pglite' })

runBusContract({
  name: 'memory',
  makeTransport: () => createMemoryTransport({ partitions: 4 }),
  settleMs: 0,
  partitions: 4,
  ephemeralGroups: true,
  openDb,
})

const redisUrl = testRedisUrl()
if (redisUrl) {
  const prefix = newId('test')
  runBusContract({
    name: 'redis',
    makeTransport: () =>
      createRedisTransport({ url: redisUrl, prefix, partitions: 4, leaseMs: 300, blockMs: 50 }),
    settleMs: 300,
    partitions: 4,
    ephemeralGroups: true,
    openDb,
  })
} else {
  // Reported as skipped (not silently absent): CI sets the variable, and fails if Redis is unreachable.
  describe('bus contract [redis]', () => it.skip('needs MONETA_TEST_REDIS_URL', () => undefined))
}

const brokers = testKafkaBrokers()
if (brokers) {
  const topicPrefix = `${newId('t')}.`
  runBusContract({
    name: 'kafka',
    makeTransport: () => createKafkaTransport({ brokers, topicPrefix, sessionTimeoutMs: 6000 }),
    settleMs: 6000,
    // librdkafka's mock cluster creates topics with 4 partitions.
    partitions: 4,
    ephemeralGroups: false,
    openDb,
  })
} else {
  describe('bus contract [kafka]', () => it.skip('needs MONETA_TEST_KAFKA_BROKERS', () => undefined))
}
