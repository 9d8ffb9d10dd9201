import { Type } from '@sinclair/typebox'

/** Every error response (docs/errors.md): `{"error": {"code", "message", "details"?}}`. */
export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }),
})
