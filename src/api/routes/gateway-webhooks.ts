import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { checkRawJson } from '../input-guard.js'
import type { ApiApp } from '../server.js'
import { ErrorResponse } from '../error-schema.js'

const Params = Type.Object({ gateway: Type.String({ pattern: '^[a-z0-9_-]{1,32}$' }) })
const Received = Type.Object({
  received: Type.Literal(true),
  eventId: Type.String(),
  duplicate: Type.Boolean({ description: 'The event was already in the inbox; nothing new was stored.' }),
})

/** Body types gateways send: Stripe and the sandbox JSON, Braintree a form (bt_signature, bt_payload). */
const RAW_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain']

/**
 * POST /v1/webhooks/:gateway. Signatures are computed over the exact bytes the gateway sent, so this
 * route lives in its own encapsulated scope whose body parsers hand over the raw Buffer; every other
 * route keeps the JSON parser. Authenticated by the gateway's signature, not an API key.
 */
export function registerGatewayWebhookRoutes(app: ApiApp, services: AppServices): void {
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body))
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/v1/webhooks/:gateway',
      {
        config: { public: true },
        schema: {
          summary: 'Receive a gateway webhook (signature verified on the raw body, processed asynchronously)',
          tags: ['payments'],
          security: [],
          params: Params,
          response: { 200: Received, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
        },
      },
      async (req) => {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
        // A poisoned event (NUL, lone surrogate, deep JSON) gets a 400, which a gateway gives up on,
        // never the 503 of a failed insert that it would retry for days.
        checkRawJson(raw)
        const r = await services.gatewayWebhooks.receive(req.params.gateway, raw, req.headers)
        return { received: true as const, eventId: r.eventId, duplicate: r.duplicate }
      },
    )
    done()
  })
}
