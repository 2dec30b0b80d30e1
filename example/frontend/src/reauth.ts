/**
 * The bridge between @spa-auth/client's `onReauthenticationRequired` hook and the
 * "Confirm it's you" dialog: the hook opens a prompt here and waits; the dialog settles it
 * (true once `reauthenticate` succeeded, false on Cancel), and the client then retries the
 * request or lets it fail. One prompt at a time: the client shares it between requests.
 *
 * A confirmation at a provider leaves the page instead, and the request that asked goes with
 * it. The dialog notes in this tab's sessionStorage which page it left from, so that this page,
 * once back, knows that `provider_reauthenticated` or a `provider_error` in its URL answers the
 * confirmation (not a connection), and says how it went in `reauthOutcome`.
 */

import { toApiError, type ApiError, type ProviderResult } from '@spa-auth/client'
import { shallowRef } from 'vue'
import type { Router } from 'vue-router'
import { takeProviderResult } from './provider-return'

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

/** How a confirmation at a provider went, on the page the browser came back to. */
export type ReauthOutcome = { confirmed: true } | { confirmed: false; error: ApiError }

export const reauthOutcome = shallowRef<ReauthOutcome | null>(null)

const LEFT_FROM = 'spa-auth-example:provider-reauthentication'

/** Storage may be refused (a privacy setting): then the way back is read as any other. */
function storage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}

/** The dialog leaves for a provider from the page at `path` (the route's path, no query). */
export function rememberProviderReauthentication(path: string): void {
  try {
    storage()?.setItem(LEFT_FROM, path)
  } catch {
    // not remembered: the page reads its URL as it would without a confirmation
  }
}

export function forgetProviderReauthentication(): void {
  storage()?.removeItem(LEFT_FROM)
}

/** Whether the page at `path` is where a confirmation at a provider comes back to. */
export function isBackFromProviderReauthentication(path: string): boolean {
  return storage()?.getItem(LEFT_FROM) === path
}

/**
 * On the first page loaded after leaving, once the router is ready: if a confirmation left from
 * this page, read the URL (`read`, the client's `providerResult`, which refreshes the token
 * after a success) and say how it went; otherwise leave the URL to the page. Either way the
 * note is spent, so that a confirmation abandoned at the provider claims no later answer.
 */
export async function takeReauthOutcome(router: Router, read: () => Promise<ProviderResult>): Promise<void> {
  const isBack = isBackFromProviderReauthentication(router.currentRoute.value.path)
  forgetProviderReauthentication()
  if (!isBack) return
  try {
    const { reauthenticated } = await takeProviderResult(router, read)
    reauthOutcome.value = reauthenticated ? { confirmed: true } : null
  } catch (caught) {
    reauthOutcome.value = { confirmed: false, error: toApiError(caught) }
  }
}
