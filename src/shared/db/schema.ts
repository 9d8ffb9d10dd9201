/**
 * The Kysely database type. Each module adds its own tables by declaration merging
 * (`declare module '.../shared/db/schema.js' { interface Database { … } }`), so this
 * file never has to import a module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Database {}
