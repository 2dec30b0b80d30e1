/** Typed API errors: clients branch on `code`, never on the message. */

import { isAxiosError } from 'axios'

export type FieldErrors = Record<string, string[]>

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly fields: FieldErrors
  /** Seconds to wait, from `Retry-After` on a 429. */
  readonly retryAfter: number | null

  constructor(init: {
    status: number
    code: string
    detail: string
    fields?: FieldErrors
    retryAfter?: number | null
  }) {
    super(init.detail)
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.detail = init.detail
    this.fields = init.fields ?? {}
    this.retryAfter = init.retryAfter ?? null
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (!isAxiosError(error)) {
    return new ApiError({ status: 0, code: 'client_error', detail: String(error) })
  }
  if (!error.response) {
    return new ApiError({ status: 0, code: 'network_error', detail: error.message })
  }
  const { status, data, headers } = error.response
  const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  const retry = Number(headers?.['retry-after'])
  return new ApiError({
    status,
    code: typeof body.code === 'string' ? body.code : `http_${status}`,
    detail: typeof body.detail === 'string' ? body.detail : error.message,
    fields: (typeof body.errors === 'object' && body.errors !== null ? body.errors : {}) as FieldErrors,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
  })
}

/** No HTTP answer arrived (a network failure or a timeout): the server may have acted or not. */
export function isLostResponse(error: unknown): boolean {
  return toApiError(error).code === 'network_error'
}

/** Only the server's own 401 ends a session; after a lost answer, a 5xx or a 429 it may go on. */
export function endsSession(error: ApiError): boolean {
  return error.status === 401
}

/** Why a session ended without the user logging out, by the server's code. */
const SESSION_ENDED: Record<string, string> = {
  session_revoked: 'Your session has ended (signed out elsewhere or revoked). Please sign in again.',
  refresh_reused: 'Your session was ended for your security. Please sign in again.',
  session_expired: 'Your session expired. Please sign in again.',
}

const MESSAGES: Record<string, string> = {
  ...SESSION_ENDED,
  invalid_credentials: 'That username and password do not match an active account.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  throttled: 'Too many attempts. Please wait before trying again.',
  permission_denied: 'You do not have access to this page.',
  not_found: 'Not found.',
  service_unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  csrf_failed: 'Your browser refused a security check. Reload the page and try again.',
}

export function messageFor(error: ApiError): string {
  return MESSAGES[error.code] ?? (error.status >= 500 ? 'Something went wrong on the server.' : error.detail)
}

/**
 * The login page's line for a session that ended on its own: one per known code, and one
 * generic line for the rest (`token_invalid`, `refresh_missing`, …) rather than server text.
 */
export function sessionEndedMessage(reason: ApiError): string {
  return SESSION_ENDED[reason.code] ?? 'Your session has ended. Please sign in again.'
}
