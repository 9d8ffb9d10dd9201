export { createPlatform, generateApiKey, hashApiKey, DEFAULT_TENANT } from './platform.service.js'
export type { Platform, ApiKeyPrincipal } from './platform.service.js'
export { platformMigrations } from './platform.migrations.js'
