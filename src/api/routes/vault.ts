import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import type { CardToken, Caller } from '../../modules/crypto/index.js'
import { tenantOf, type ApiApp } from '../server.js'

const Card = Type.Object(
  {
    token: Type.String(),
    bin: Type.String({ description: 'First six digits (issuer identification number).' }),
    last4: Type.String(),
    brand: Type.String(),
    panLength: Type.Integer(),
    expMonth: Type.Union([Type.Integer(), Type.Null()]),
    expYear: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
)
const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) })
const TokenParams = Type.Object(
  { token: Type.String({ pattern: '^tok_[0-9a-f]{32}$' }) },
  { additionalProperties: false },
)

const cardJson = (c: CardToken) => ({
  token: c.token,
  bin: c.bin,
  last4: c.last4,
  brand: c.brand,
  panLength: c.panLength,
  expMonth: c.expMonth,
  expYear: c.expYear,
  createdAt: c.createdAt.toISOString(),
})

export function callerOf(req: {
  principal: { keyId: string; scopes: readonly string[]; actor?: string } | undefined
  ip: string
}): Caller {
  return {
    actor: req.principal?.actor ?? `apikey:${req.principal?.keyId ?? 'anonymous'}`,
    roles: req.principal?.scopes ?? [],
    origin: req.ip,
  }
}

/** Card vault: PANs in, tokens out. Only detokenize returns a PAN, and only to the vault:detokenize scope. */
export function registerVaultRoutes(app: ApiApp, services: AppServices): void {
  const { vault } = services.crypto

  app.post(
    '/v1/vault/cards',
    {
      schema: {
        tags: ['vault'],
        summary: 'Tokenize a card number (Luhn-checked); the same card always gets the same token',
        body: Type.Object(
          {
            pan: Type.String({
              minLength: 12,
              maxLength: 23,
              pattern: '^[0-9][0-9 -]*[0-9]$',
              description: 'Card number; spaces and dashes allowed.',
            }),
            expMonth: Type.Optional(Type.Integer({ minimum: 1, maximum: 12 })),
            expYear: Type.Optional(Type.Integer({ minimum: 2000, maximum: 2100 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Card, 201: Card, 400: ErrorBody },
      },
    },
    async (req, reply) => {
      const card = await vault.tokenize(tenantOf(req), req.body, callerOf(req))
      return reply.status(card.created ? 201 : 200).send(cardJson(card))
    },
  )

  app.get(
    '/v1/vault/cards/:token',
    {
      schema: {
        tags: ['vault'],
        summary: 'Card metadata (never the number)',
        params: TokenParams,
        response: { 200: Card, 404: ErrorBody },
      },
    },
    async (req) => cardJson(await vault.get(tenantOf(req), req.params.token)),
  )

  app.post(
    '/v1/vault/cards/:token/detokenize',
    {
      schema: {
        tags: ['vault'],
        summary: 'Reveal the card number (API keys with the vault:detokenize scope only; audited)',
        params: TokenParams,
        response: {
          200: Type.Object({ token: Type.String(), pan: Type.String() }, { additionalProperties: false }),
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => vault.detokenize(tenantOf(req), req.params.token, callerOf(req)),
  )
}
