import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { snapshotNotFound } from '../../modules/views/index.js'
import { tenantOf, type ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

/** The console screening screen's reads (ADR 1702): snapshots and their diffs, the false-positive memory. */
export function registerConsoleScreeningRoutes(app: ApiApp, services: AppServices): void {
  const Snapshot = Type.Object({
    snapshotId: Type.String(),
    listId: Type.String(),
    source: Type.String(),
    entryCount: Type.Integer(),
    added: Type.Integer(),
    removed: Type.Integer(),
    changed: Type.Integer(),
    importedAt: Type.String({ format: 'date-time' }),
    active: Type.Boolean(),
  })
  app.get(
    '/v1/screening/snapshots',
    {
      schema: {
        tags: ['screening'],
        summary:
          'Loaded list snapshots, newest first (at most 100), with their added / removed / changed counts',
        response: { 200: Type.Object({ snapshots: Type.Array(Snapshot) }) },
      },
    },
    async (req) => ({
      snapshots: (await services.views.screeningSnapshots(tenantOf(req))).map((s) => ({
        ...s,
        importedAt: s.importedAt.toISOString(),
      })),
    }),
  )

  app.get(
    '/v1/screening/snapshots/:id/changes',
    {
      schema: {
        tags: ['screening'],
        summary:
          "A snapshot's diff against the one before: entries added, removed, changed (with the previous version)",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_]+$' }) }),
        querystring: Type.Object(
          {
            change: Type.Optional(
              Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
            ),
            after: Type.Optional(Type.String({ maxLength: 200 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                entryKey: Type.String(),
                change: Type.String(),
                data: Type.Unknown(),
                before: Type.Unknown(),
              }),
            ),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ErrorResponse,
          404: ErrorResponse,
        },
      },
    },
    async (req) => {
      const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? '50')))
      const page = await services.views.snapshotChanges(tenantOf(req), req.params.id, {
        ...(req.query.change ? { change: req.query.change } : {}),
        ...(req.query.after ? { after: req.query.after } : {}),
        limit,
      })
      if (!page) throw snapshotNotFound(req.params.id)
      return page
    },
  )

  app.get(
    '/v1/screening/decisions',
    {
      schema: {
        tags: ['screening'],
        summary:
          "The false-positive memory: analysts' screening decisions, newest first (cursor: before); a not_a_match holds until the subject or the entry changes",
        querystring: Type.Object(
          {
            decision: Type.Optional(Type.Union([Type.Literal('not_a_match'), Type.Literal('true_match')])),
            before: Type.Optional(Type.String({ maxLength: 64 })),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                decisionId: Type.String(),
                subjectId: Type.String(),
                listId: Type.String(),
                entryKey: Type.String(),
                decision: Type.String(),
                analyst: Type.String(),
                reason: Type.String(),
                createdAt: Type.String({ format: 'date-time' }),
              }),
            ),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ErrorResponse,
        },
      },
    },
    async (req) => {
      const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? '50')))
      const page = await services.views.screeningDecisions(tenantOf(req), {
        ...(req.query.decision ? { decision: req.query.decision } : {}),
        ...(req.query.before ? { before: req.query.before } : {}),
        limit,
      })
      return {
        items: page.items.map((d) => ({ ...d, createdAt: d.createdAt.toISOString() })),
        next: page.next,
      }
    },
  )
}
