/**
 * The way back from a sign-in provider: the server's redirect leaves `provider_error`,
 * `provider_step`, `provider_connected` or `provider_reauthenticated` in the page's URL. The client reads them and takes
 * them out of the address bar; the router's route drops them too, so that a later
 * navigation does not write them back into the history, and a Back does not replay them.
 */

import type { Provider, ProviderResult } from '@spa-auth/client'
import type { Router } from 'vue-router'

const RESULT_PARAMS: readonly string[] = ['provider_error', 'provider_step', 'provider_connected', 'provider_reauthenticated']

/** `read()` (the client's `providerResult`), then the route without the server's members. */
export async function takeProviderResult(router: Router, read: () => Promise<ProviderResult>): Promise<ProviderResult> {
  try {
    return await read()
  } finally {
    const { path, query, hash } = router.currentRoute.value
    if (Object.keys(query).some((name) => RESULT_PARAMS.includes(name))) {
      const rest = Object.fromEntries(Object.entries(query).filter(([name]) => !RESULT_PARAMS.includes(name)))
      await router.replace({ path, query: rest, hash })
    }
  }
}

/**
 * The providers the server offers; none when it offers none, or the list could not be had
 * (the buttons are a convenience: the page works without them).
 */
export async function offeredProviders(list: () => Promise<Provider[]>): Promise<Provider[]> {
  try {
    const providers = await list()
    return Array.isArray(providers) ? providers : []
  } catch {
    return []
  }
}
