/**
 * Typed API errors: clients branch on `code`, never on the message.
 *
 * Every failure the client reports is an `ApiError`: the server's JSON `{detail, code}`
 * (with `errors` and their `codes` per field, and `Retry-After`), or a code of the client's own when no answer
 * arrived. Imports nothing, axios included: its errors are recognised by shape.
 */

export type FieldErrors = Record<string, string[]>
/**
 * The stable code of each field error, in the shape of `FieldErrors` (`required`,
 * `password_too_short`, `password_breached`, …): branch on these, show the messages.
 */
export type FieldCodes = Record<string, string[]>

/**
 * The server's stable codes, and the client's own: `network_error` (no answer arrived, or
 * it timed out), `aborted` (the caller cancelled), `client_error` (anything else thrown),
 * `passkey_cancelled` (the browser's passkey prompt was dismissed or timed out) and
 * `passkey_unavailable` (no passkey ceremony possible here: no WebAuthn, a wrong domain, an
 * authenticator fault).
 * An HTTP error without a code is `http_<status>`. Open-ended: servers may add codes.
 */
export type ErrorCode =
  | 'invalid_credentials'
  | 'not_authenticated'
  | 'token_expired'
  | 'token_invalid'
  | 'session_revoked'
  | 'refresh_reused'
  | 'session_expired'
  | 'refresh_missing'
  | 'throttled'
  | 'csrf_failed'
  | 'unsupported_media_type'
  | 'not_found'
  | 'permission_denied'
  | 'bad_request'
  | 'service_unavailable'
  | 'email_unverified'
  | 'signup_disabled'
  | 'key_invalid'
  | 'password_incorrect'
  | 'mfa_required'
  | 'mfa_token_invalid'
  | 'code_invalid'
  | 'reauthentication_required'
  | 'passkey_invalid'
  | 'mfa_not_enabled'
  | 'confirmation_required'
  | 'factor_required'
  | 'mfa_enrolment_required'
  | 'provider_error'
  | 'provider_unavailable'
  | 'provider_cancelled'
  | 'provider_state_invalid'
  | 'provider_unknown'
  | 'provider_account_exists'
  | 'provider_email_unverified'
  | 'account_inactive'
  | 'identity_in_use'
  | 'identity_not_connected'
  | 'navigation_required'
  | 'last_way_in'
  | 'captcha_required'
  | 'captcha_invalid'
  | 'captcha_unavailable'
  | 'breach_check_unavailable'
  | 'login_code_expired'
  | 'login_code_malformed'
  | 'login_by_code_disabled'
  | 'passkey_cancelled'
  | 'passkey_unavailable'
  | 'network_error'
  | 'aborted'
  | 'client_error'
  | (string & {})

/** What a mailed key would do, from a `confirmation_required` answer (nothing was spent). */
export interface Confirmation {
  action: 'sign_up' | 'verify_email' | 'change_email' | (string & {})
  username: string
  email: string
}

/**
 * What a `captcha_required` or `captcha_invalid` answer asks for: the widget to render
 * (`provider`, `siteKey`) and the door it is for (`action`); retry the call with its answer
 * as `captcha`.
 */
export interface CaptchaChallenge {
  provider: 'turnstile' | 'hcaptcha' | 'recaptcha_v2' | 'recaptcha_v3' | (string & {})
  siteKey: string
  action: string
}

export interface ApiErrorInit {
  status: number
  code: ErrorCode
  detail: string
  fields?: FieldErrors
  fieldCodes?: FieldCodes
  retryAfter?: number | null
  mfaToken?: string | null
  methods?: string[]
  maxAge?: number | null
  confirmation?: Confirmation | null
  captcha?: CaptchaChallenge | null
  cause?: unknown
}

export class ApiError extends Error {
  /** The HTTP status; 0 when no answer arrived. */
  readonly status: number
  readonly code: ErrorCode
  /** The server's message: for logs, not for users (choose a message by `code`). */
  readonly detail: string
  /** Validation messages per field, e.g. `{ new_password: ['Too short.'] }`. */
  readonly fields: FieldErrors
  /** The code of each message of `fields`, e.g. `{ new_password: ['password_breached'] }`. */
  readonly fieldCodes: FieldCodes
  /** Seconds to wait, from `Retry-After` on a 429 (or a 503 that says when to try again). */
  readonly retryAfter: number | null
  /** With `mfa_required`: the token that `completeMfa` / `completeMfaWithPasskey` take (5 minutes). */
  readonly mfaToken: string | null
  /**
   * With `mfa_required`: the second factors the user has (`totp`, `webauthn`, `recovery_code`);
   * with `reauthentication_required`: how the user may confirm (`password`, `totp`, `webauthn`, …).
   */
  readonly methods: string[]
  /** With `reauthentication_required`: how old, in seconds, an authentication may be. */
  readonly maxAge: number | null
  /** With `confirmation_required`: the account the link would create or change. */
  readonly confirmation: Confirmation | null
  /** With `captcha_required` / `captcha_invalid`: the widget to show before trying again. */
  readonly captcha: CaptchaChallenge | null

  constructor(init: ApiErrorInit) {
    super(init.detail, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code
    this.detail = init.detail
    this.fields = init.fields ?? {}
    this.fieldCodes = init.fieldCodes ?? {}
    this.retryAfter = init.retryAfter ?? null
    this.mfaToken = init.mfaToken ?? null
    this.methods = init.methods ?? []
    this.maxAge = init.maxAge ?? null
    this.confirmation = init.confirmation ?? null
    this.captcha = init.captcha ?? null
  }
}

interface AxiosErrorShape {
  isAxiosError: true
  message: string
  response?: { status: number; data: unknown; headers?: unknown }
}

function isAxiosErrorShape(error: unknown): error is AxiosErrorShape {
  return typeof error === 'object' && error !== null && (error as { isAxiosError?: unknown }).isAxiosError === true
}

function nameOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined
}

function headerOf(headers: unknown, name: string): string | null {
  if (!headers || typeof headers !== 'object') return null
  const get = (headers as { get?: unknown }).get
  if (typeof get === 'function') {
    const value: unknown = get.call(headers, name)
    if (value != null) return String(value)
  }
  const value = (headers as Record<string, unknown>)[name]
  return value == null ? null : String(value)
}

function confirmationOf(body: Record<string, unknown>): Confirmation | null {
  const { action, username, email } = body
  if (typeof action !== 'string' || typeof username !== 'string' || typeof email !== 'string') return null
  return { action, username, email }
}

function captchaOf(body: Record<string, unknown>): CaptchaChallenge | null {
  const found = body.captcha
  if (typeof found !== 'object' || found === null) return null
  const { provider, site_key: siteKey, action } = found as Record<string, unknown>
  if (typeof provider !== 'string' || typeof siteKey !== 'string' || typeof action !== 'string') return null
  return { provider, siteKey, action }
}

/** An HTTP answer as an error: the body's `code`, `detail` and `errors`, `Retry-After`. */
function fromAnswer(status: number, data: unknown, headers: unknown, fallback: string, cause?: unknown): ApiError {
  const body = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  const retry = Number(headerOf(headers, 'retry-after'))
  return new ApiError({
    status,
    code: typeof body.code === 'string' ? body.code : `http_${status}`,
    detail: typeof body.detail === 'string' ? body.detail : fallback,
    fields: (typeof body.errors === 'object' && body.errors !== null ? body.errors : {}) as FieldErrors,
    fieldCodes: (typeof body.codes === 'object' && body.codes !== null && !Array.isArray(body.codes)
      ? body.codes
      : {}) as FieldCodes,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
    mfaToken: typeof body.mfa_token === 'string' ? body.mfa_token : null,
    methods: Array.isArray(body.methods) ? body.methods.filter((method) => typeof method === 'string') : [],
    maxAge: typeof body.max_age === 'number' ? body.max_age : null,
    confirmation: confirmationOf(body),
    captcha: captchaOf(body),
    cause,
  })
}

/** Anything thrown by a call (an ApiError, an axios error, a failed fetch) as an ApiError. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (isAxiosErrorShape(error)) {
    if (!error.response) return new ApiError({ status: 0, code: 'network_error', detail: error.message, cause: error })
    const { status, data, headers } = error.response
    return fromAnswer(status, data, headers, error.message, error)
  }
  const name = nameOf(error)
  const message = error instanceof Error ? error.message : String(error)
  // fetch rejects with a TypeError when no answer arrives, and with the signal's reason
  // (a TimeoutError from the client's own timeout) when it gives up waiting.
  if (error instanceof TypeError || name === 'TimeoutError') {
    return new ApiError({ status: 0, code: 'network_error', detail: message, cause: error })
  }
  if (name === 'AbortError') return new ApiError({ status: 0, code: 'aborted', detail: message, cause: error })
  return new ApiError({ status: 0, code: 'client_error', detail: message, cause: error })
}

/** A fetch `Response` that is not ok, as an ApiError (reads the body). */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let data: unknown = null
  try {
    const text = await response.text()
    data = text ? JSON.parse(text) : null
  } catch {
    data = null // not JSON (a proxy's HTML page): the status decides
  }
  return fromAnswer(response.status, data, response.headers, response.statusText || `HTTP ${response.status}`)
}

/** No HTTP answer arrived (a network failure or a timeout): the server may have acted or not. */
export function isLostResponse(error: unknown): boolean {
  return toApiError(error).code === 'network_error'
}

/**
 * The step-up answer (RFC 9470): the session is fine, the last authentication is too old for
 * this request. Never a reason to refresh or to sign out; the user confirms and it is retried.
 */
export const REAUTHENTICATION_REQUIRED = 'reauthentication_required'

/**
 * Only the server's own 401 ends a session; after a lost answer, a 5xx or a 429 it may go
 * on, and a step-up 401 asks for a fresh authentication, not a new session.
 */
export function endsSession(error: ApiError): boolean {
  return error.status === 401 && error.code !== REAUTHENTICATION_REQUIRED
}

/** Codes after which a fresh access token may help; any other 401 ends the session. */
export const REFRESHABLE: ReadonlySet<string> = new Set(['token_expired', 'token_invalid', 'not_authenticated'])
