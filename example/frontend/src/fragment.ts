/**
 * The key of a mailed link (`/verify-email#key=…`): read from the fragment, which never
 * reaches a server, and then taken out of the address bar (the router's replace, which is
 * `history.replaceState`) so that it is not left in the history. Reading it spends nothing:
 * the page posts it.
 */

import { onMounted, ref } from 'vue'
import { useRouter, type Router } from 'vue-router'
import type { Confirmation } from '@spa-auth/client'
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
 * A page whose link's key creates or moves an account (verify email, confirm an email
 * change). Opening it spends nothing: the page asks the server what the key would do (the
 * key alone is refused with `confirmation_required`, which names the account), shows that,
 * and spends the key only when the person confirms with the account's password. A mail
 * scanner that opens and renders the link, or someone who did not ask for it, does nothing.
 * `state` goes from `loading` to `no-key`, `confirm` (with `confirmation`), `done`, or
 * `failed` with `error`; a wrong password keeps `confirm` and sets `error`.
 */
export function useConfirmedKey(post: (key: string, password?: string) => Promise<unknown>) {
  const router = useRouter()
  const state = ref<'loading' | 'no-key' | 'confirm' | 'done' | 'failed'>('loading')
  const confirmation = ref<Confirmation | null>(null)
  let key: string | null = null
  const { pending, error, run } = useAction(post)

  onMounted(async () => {
    key = await takeFragmentKey(router)
    if (!key) {
      state.value = 'no-key'
      return
    }
    if (await run(key)) state.value = 'done'
    else if (error.value?.code === 'confirmation_required' && error.value.confirmation) {
      confirmation.value = error.value.confirmation
      error.value = null
      state.value = 'confirm'
    } else state.value = 'failed'
  })

  async function confirm(password: string): Promise<void> {
    if (!key) return
    if (await run(key, password)) state.value = 'done'
    else if (error.value?.code !== 'password_incorrect' && error.value?.code !== 'throttled') state.value = 'failed'
  }

  return { state, confirmation, pending, error, confirm }
}
