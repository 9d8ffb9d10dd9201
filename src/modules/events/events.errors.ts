import { AppError } from '../../shared/errors.js'

export const unknownEventType = (topic: string): AppError =>
  new AppError(
    'EVENT_UNKNOWN_TYPE',
    'invalid',
    `Event type "${topic}" is not in the event catalogue (docs/events.md).`,
  )

export const invalidEventPayload = (topic: string, problem: string): AppError =>
  new AppError(
    'EVENT_INVALID_PAYLOAD',
    'invalid',
    `Payload of "${topic}" does not match its schema: ${problem}`,
  )

export const invalidEvent = (message: string): AppError => new AppError('EVENT_INVALID', 'invalid', message)

export const busUnavailable = (message: string, cause?: unknown): AppError =>
  new AppError('EVENT_BUS_UNAVAILABLE', 'unavailable', message, cause === undefined ? {} : { cause })

export const deadLetterNotFound = (id: string): AppError =>
  new AppError('EVENT_DEAD_LETTER_NOT_FOUND', 'not_found', `No dead letter ${id}.`)
