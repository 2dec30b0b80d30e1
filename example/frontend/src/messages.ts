/** What the app tells the user about an `ApiError`: chosen by its `code`, never the server's text. */

import type { ApiError } from '@spa-auth/client'
import { i18n } from './i18n'
import en, { type Messages } from './locales/en'

type ErrorCode = keyof Messages['errors']
type Notice = keyof Messages['notices']

/** Why a session ended without the user logging out, by the server's code. */
const SESSION_ENDED: readonly string[] = ['session_revoked', 'refresh_reused', 'session_expired'] satisfies ErrorCode[]

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(en.errors, code)
}

export function messageFor(error: ApiError): string {
  const { t } = i18n.global
  if (isErrorCode(error.code)) return t(`errors.${error.code}`)
  return error.status >= 500 ? t('fallback.server') : error.detail
}

/**
 * What a provider's round trip that failed says: its code's line, or one generic line for a
 * code this app does not know (the code comes from the URL, which anyone can write).
 */
export function providerErrorMessage(error: ApiError): string {
  return isErrorCode(error.code) ? messageFor(error) : i18n.global.t('errors.provider_error')
}

/**
 * The login page's line for a session that ended on its own: one per known code, and one
 * generic line for the rest (`token_invalid`, `refresh_missing`, …) rather than server text.
 */
export function sessionEndedMessage(reason: ApiError): string {
  return SESSION_ENDED.includes(reason.code) ? messageFor(reason) : i18n.global.t('fallback.sessionEnded')
}

/** Whether none of `shown` (the fields a form displays) carries the error's messages. */
export function isFormWide(error: ApiError, shown: readonly string[]): boolean {
  return !shown.some((field) => error.fields[field]?.length)
}

/** The line the login page shows after another page sent the user there (history state `notice`). */
export function noticeFor(notice: unknown): string | null {
  return typeof notice === 'string' && Object.hasOwn(en.notices, notice)
    ? i18n.global.t(`notices.${notice as Notice}`)
    : null
}
