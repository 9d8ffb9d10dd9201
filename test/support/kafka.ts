/**
 * Kafka for tests when MONETA_TEST_KAFKA_BROKERS is set (comma-separated host:port). CI points it at
 * librdkafka's mock cluster started by scripts/kafka-mock.sh; suites fail (not skip) if it is unreachable.
 */
export const testKafkaBrokers = (): string[] | undefined => {
  const raw = process.env.MONETA_TEST_KAFKA_BROKERS
  return raw
    ? raw
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean)
    : undefined
}
