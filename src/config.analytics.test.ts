import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.js'

const base = { MONETA_CONFIG_FILE: '' }

describe('config: analytics object storage', () => {
  it('defaults to the local directory', () => {
    expect(loadConfig(base).analytics.storage).toEqual({ kind: 'local' })
  })

  it('reads an s3:// URL with endpoint, region and a key pair', () => {
    const c = loadConfig({
      ...base,
      MONETA_ANALYTICS_STORAGE_URL: 's3://fraud-lake/moneta/prod/',
      MONETA_ANALYTICS_S3_ENDPOINT: 'https://minio.internal:9000',
      MONETA_ANALYTICS_S3_REGION: 'eu-west-1',
      MONETA_ANALYTICS_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      MONETA_ANALYTICS_S3_SECRET_ACCESS_KEY: 'not-a-real-secret-just-a-test-value',
    })
    expect(c.analytics.storage).toMatchObject({
      kind: 's3',
      bucket: 'fraud-lake',
      prefix: 'moneta/prod',
      endpoint: 'https://minio.internal:9000',
      region: 'eu-west-1',
    })
  })

  it('refuses a malformed URL, a bad endpoint, half a key pair and S3 settings without a URL', () => {
    expect(() => loadConfig({ ...base, MONETA_ANALYTICS_STORAGE_URL: 'https://bucket' })).toThrow(
      /must look like s3:\/\/bucket\/prefix/,
    )
    expect(() =>
      loadConfig({
        ...base,
        MONETA_ANALYTICS_STORAGE_URL: 's3://lake',
        MONETA_ANALYTICS_S3_ENDPOINT: 'minio:9000',
      }),
    ).toThrow(/ENDPOINT must be an http/)
    expect(() =>
      loadConfig({
        ...base,
        MONETA_ANALYTICS_STORAGE_URL: 's3://lake',
        MONETA_ANALYTICS_S3_ACCESS_KEY_ID: 'AKID',
      }),
    ).toThrow(/go together/)
    expect(() => loadConfig({ ...base, MONETA_ANALYTICS_S3_REGION: 'eu-west-1' })).toThrow(
      /without MONETA_ANALYTICS_STORAGE_URL/,
    )
  })
})
