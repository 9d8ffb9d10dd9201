/** Real Redis for tests when MONETA_TEST_REDIS_URL is set; suites that need it fail (not skip) if it is unreachable. */
export const testRedisUrl = (): string | undefined => process.env.MONETA_TEST_REDIS_URL || undefined
