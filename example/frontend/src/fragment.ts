/**
 * The key of a mailed link (`/verify-email#key=…`): read from the fragment, which never
 * reaches a server, and then taken out of the address bar (the router's replace, which is
 * `history.replaceState`) so that it is not left in the history. Reading it spends nothing:
 * the page posts it.
 */

import type { Router } from 'vue-router'

export function keyFromFragment(hash: string): string | null {
  const part = hash
    .replace(/^#/, '')
    .split('&')
    .find((item) => item.startsWith('key='))
  if (!part) return null
  try {
    return decodeURIComponent(part.slice('key='.length)) || null
  } catch {
    return null // a mangled link: treated like no key at all
  }
}

/** The key of this page's link, if any; the fragment is gone from the address bar after it. */
export async function takeFragmentKey(router: Router): Promise<string | null> {
  const hash = typeof location === 'undefined' ? router.currentRoute.value.hash : location.hash
  const key = keyFromFragment(hash)
  if (hash) {
    const { path, query } = router.currentRoute.value
    await router.replace({ path, query, hash: '' })
  }
  return key
}
