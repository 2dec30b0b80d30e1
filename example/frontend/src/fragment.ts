/**
 * The key of a mailed link (`/verify-email#key=…`): read from the fragment, which never
 * reaches a server, and then taken out of the address bar (the router's replace, which is
 * `history.replaceState`) so that it is not left in the history. Reading it spends nothing:
 * the page posts it.
 */

import { onMounted, ref } from 'vue'
import { useRouter, type Router } from 'vue-router'
import { useAction } from './action'

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

/**
 * A page whose link's key is posted as soon as it opens (verify email, confirm an email
 * change): `state` goes from `loading` to `no-key`, `done`, or `failed` with `error`.
 * The page's own script posts it, so a mail scanner fetching the URL only gets the static app.
 */
export function usePostedKey(post: (key: string) => Promise<unknown>) {
  const router = useRouter()
  const state = ref<'loading' | 'no-key' | 'done' | 'failed'>('loading')
  const { error, run } = useAction(post)
  onMounted(async () => {
    const key = await takeFragmentKey(router)
    if (!key) state.value = 'no-key'
    else state.value = (await run(key)) ? 'done' : 'failed'
  })
  return { state, error }
}
