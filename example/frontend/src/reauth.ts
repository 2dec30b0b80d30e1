/**
 * The bridge between @spa-auth/client's `onReauthenticationRequired` hook and the
 * "Confirm it's you" dialog: the hook opens a prompt here and waits; the dialog settles it
 * (true once `reauthenticate` succeeded, false on Cancel), and the client then retries the
 * request or lets it fail. One prompt at a time: the client shares it between requests.
 */

import type { ApiError } from '@spa-auth/client'
import { shallowRef } from 'vue'

export interface ReauthPrompt {
  /** The step-up 401: `methods` says how the user may confirm. */
  error: ApiError
  settle(confirmed: boolean): void
}

export const reauthPrompt = shallowRef<ReauthPrompt | null>(null)

export function askToReauthenticate(error: ApiError): Promise<boolean> {
  reauthPrompt.value?.settle(false)
  return new Promise((resolve) => {
    const prompt: ReauthPrompt = {
      error,
      settle(confirmed) {
        if (reauthPrompt.value === prompt) reauthPrompt.value = null
        resolve(confirmed)
      },
    }
    reauthPrompt.value = prompt
  })
}
