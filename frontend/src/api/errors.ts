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

const MESSAGES: Record<string, string> = {
  invalid_credentials: 'That username and password do not match an active account.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  throttled: 'Too many attempts. Please wait before trying again.',
  session_revoked: 'Your session has ended. Please log in again.',
  session_expired: 'Your session has expired. Please log in again.',
  refresh_reused: 'Your session was ended for your safety. Please log in again.',
  permission_denied: 'You do not have access to this page.',
  not_found: 'Not found.',
  service_unavailable: 'The service is temporarily unavailable. Please try again shortly.',
  csrf_failed: 'Your browser refused a security check. Reload the page and try again.',
}

export function messageFor(error: ApiError): string {
  return MESSAGES[error.code] ?? (error.status >= 500 ? 'Something went wrong on the server.' : error.detail)
}
