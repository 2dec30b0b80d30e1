/**
 * The CAPTCHA a page shows when a door of the server asks for one (`captcha_required`, or
 * `captcha_invalid` after a refused answer): which widget, a new one per challenge (an
 * answer is good for one request), and the answer the next request carries.
 */

import type { ApiError, CaptchaChallenge } from '@spa-auth/client'
import { ref } from 'vue'

const CAPTCHA_CODES: readonly string[] = ['captcha_required', 'captcha_invalid']

export function isCaptchaError(error: ApiError | null): boolean {
  return error !== null && CAPTCHA_CODES.includes(error.code) && error.captcha !== null
}

export function useCaptcha() {
  const challenge = ref<CaptchaChallenge | null>(null)
  // The widget's key: a new widget (and so a new answer) after every challenge.
  const round = ref(0)
  let answer: string | undefined

  return {
    challenge,
    round,
    /** The answer for this request, spent by it; undefined when there is none. */
    take(): string | undefined {
      const taken = answer
      answer = undefined
      return taken
    },
    solved(token: string | null): void {
      answer = token ?? undefined
    },
    /** After a failed request: whether the server asked for a CAPTCHA (now shown). */
    heard(error: ApiError): boolean {
      if (!isCaptchaError(error)) return false
      challenge.value = error.captcha
      round.value += 1
      return true
    },
  }
}
