import { Type } from '@sinclair/typebox'
import type { AppServices } from '../../app.js'
import { checkpointBody, type Checkpoint } from '../../modules/audit/index.js'
import { grants } from '../../modules/auth/index.js'
import { AppError } from '../../shared/errors.js'
import { tenantOf, type ApiApp } from '../server.js'

const Hex = Type.String({ pattern: '^[0-9a-f]*$' })
const CheckpointJson = Type.Object(
  {
    treeSize: Type.Integer(),
    root: Hex,
    signedAt: Type.String(),
    keyId: Type.String(),
    signature: Type.String({ description: 'Ed25519 signature (base64) over `note`.' }),
    publicKey: Type.String({ description: 'Raw Ed25519 public key, base64.' }),
    note: Type.String({ description: 'The exact signed text.' }),
  },
  { additionalProperties: false },
)
const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) })
const Num = Type.String({ pattern: '^[0-9]{1,15}$' })
/** Both proofs answer with their hashes and the signed checkpoint they lead to, and fail alike. */
const ProofFields = { proof: Type.Array(Hex), checkpoint: CheckpointJson }
const ProofErrors = { 400: ErrorBody, 404: ErrorBody }

/** An optional tree size of a query: absent means the latest checkpoint. */
const optionalSize = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v))

/** Defence in depth behind the route table, with the same rule (grants): `audit:*` passes both. */
function requireAuditScope(req: { principal: { scopes: readonly string[] } | undefined }): void {
  if (!grants(req.principal?.scopes ?? [], 'audit:read')) {
    throw new AppError('AUDIT_FORBIDDEN', 'forbidden', 'Reading the audit log needs the audit:read scope.')
  }
}

/** The tenant's audit log: entries, signed checkpoints, inclusion and consistency proofs (RFC 6962). */
export function registerAuditRoutes(app: ApiApp, services: AppServices): void {
  const { audit } = services
  const publicKey = audit.signer.publicKey.toString('base64')
  const cpJson = (cp: Checkpoint) => ({
    treeSize: cp.treeSize,
    root: cp.root.toString('hex'),
    signedAt: cp.signedAt,
    keyId: cp.keyId,
    signature: cp.signature.toString('base64'),
    publicKey,
    note: checkpointBody(cp.tenant, cp.treeSize, cp.root, cp.signedAt),
  })
  const proofJson = (proof: readonly Buffer[], cp: Checkpoint) => ({
    proof: proof.map((x) => x.toString('hex')),
    checkpoint: cpJson(cp),
  })

  app.get(
    '/v1/audit/checkpoint',
    {
      schema: {
        tags: ['audit'],
        summary: 'Latest signed checkpoint (tree size and root)',
        response: { 200: CheckpointJson, 404: ErrorBody },
      },
    },
    async (req) => {
      requireAuditScope(req)
      const tenant = tenantOf(req)
      await audit.flush()
      const cp = await audit.latestCheckpoint(tenant)
      if (!cp) throw new AppError('AUDIT_NO_CHECKPOINT', 'not_found', 'This tenant has no audit entries yet.')
      return cpJson(cp)
    },
  )

  app.get(
    '/v1/audit/entries',
    {
      schema: {
        tags: ['audit'],
        summary: 'Entries in log order',
        querystring: Type.Object(
          {
            from: Type.Optional(Num),
            limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            entries: Type.Array(
              Type.Object({
                seq: Type.Integer(),
                leafHash: Hex,
                entry: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
              }),
            ),
            next: Type.Union([Type.Integer(), Type.Null()]),
          }),
        },
      },
    },
    async (req) => {
      requireAuditScope(req)
      const limit = Number(req.query.limit ?? 100)
      const rows = await audit.entries(tenantOf(req), Number(req.query.from ?? 0), limit)
      return {
        entries: rows.map((r) => ({
          seq: r.seq,
          leafHash: r.leafHash.toString('hex'),
          entry: (r.entry as unknown as Record<string, unknown>) ?? null,
        })),
        next: rows.length === limit ? rows[rows.length - 1]!.seq + 1 : null,
      }
    },
  )

  app.get(
    '/v1/audit/proofs/inclusion',
    {
      schema: {
        tags: ['audit'],
        summary:
          'Inclusion proof of entry `seq` in the checkpointed tree of size `treeSize` (default: latest)',
        querystring: Type.Object({ seq: Num, treeSize: Type.Optional(Num) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ seq: Type.Integer(), treeSize: Type.Integer(), leafHash: Hex, ...ProofFields }),
          ...ProofErrors,
        },
      },
    },
    async (req) => {
      requireAuditScope(req)
      const p = await audit.inclusionProof(
        tenantOf(req),
        Number(req.query.seq),
        optionalSize(req.query.treeSize),
      )
      return {
        seq: p.seq,
        treeSize: p.treeSize,
        leafHash: p.leafHash.toString('hex'),
        ...proofJson(p.proof, p.checkpoint),
      }
    },
  )

  app.get(
    '/v1/audit/proofs/consistency',
    {
      schema: {
        tags: ['audit'],
        summary: 'Consistency proof between tree sizes `from` and `to` (default: latest checkpoint)',
        querystring: Type.Object({ from: Num, to: Type.Optional(Num) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ from: Type.Integer(), to: Type.Integer(), ...ProofFields }),
          ...ProofErrors,
        },
      },
    },
    async (req) => {
      requireAuditScope(req)
      const p = await audit.consistencyProof(
        tenantOf(req),
        Number(req.query.from),
        optionalSize(req.query.to),
      )
      return { from: p.from, to: p.to, ...proofJson(p.proof, p.toCheckpoint) }
    },
  )
}
