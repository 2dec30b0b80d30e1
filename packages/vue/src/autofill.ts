/**
 * `usePasskeyAutofill()`: the client's passkey autofill (`startPasskeyAutofill`) for as long
 * as a login page is mounted and wants it. It starts on mount, is aborted on unmount and
 * while `enabled` is false (the user typed a password, the page shows another step), and
 * starts again when `enabled` comes back. An abort or the browser's own end of the request is
 * never an error; a passkey the server refused is (`error`, `onError`), and the autofill then
 * waits for the next pick. Imports Vue and the client only.
 */

import { onBeforeUnmount, onMounted, readonly, ref, shallowRef, toValue, watch, type MaybeRefOrGetter, type Ref } from 'vue'
import { toApiError, type ApiError, type User } from '@spa-auth/client'
import { useAuth } from './plugin.js'

export interface UsePasskeyAutofillOptions<TUser = User> {
  /** While false, no autofill: e.g. `() => !password.value`. Default true. */
  enabled?: MaybeRefOrGetter<boolean>
  /** A passkey from the autofill signed the user in (and the other tabs). */
  onSignedIn?(user: TUser): void
  /** The server refused the passkey picked (`code_invalid`, `email_unverified`, `throttled`, …). */
  onError?(error: ApiError): void
}

export interface PasskeyAutofill {
  /** An autofill is running: the browser may list passkeys under the username input. */
  active: Readonly<Ref<boolean>>
  /** The server's refusal of the last passkey picked; null once one signs in or it stops. */
  error: Readonly<Ref<ApiError | null>>
}

export function usePasskeyAutofill<TUser = User>(options: UsePasskeyAutofillOptions<TUser> = {}): PasskeyAutofill {
  const auth = useAuth<TUser>()
  const active = ref(false)
  const error = shallowRef<ApiError | null>(null)
  const mounted = ref(false)
  let running: AbortController | null = null

  function stop(): void {
    running?.abort()
    running = null
    active.value = false
    error.value = null
  }

  async function start(): Promise<void> {
    stop()
    const own = new AbortController()
    running = own
    active.value = true
    while (!own.signal.aborted) {
      try {
        const user = await auth.startPasskeyAutofill({ signal: own.signal })
        if (user !== null) {
          error.value = null
          if (mounted.value) options.onSignedIn?.(user)
        }
        break
      } catch (caught) {
        if (own.signal.aborted) break
        error.value = toApiError(caught)
        options.onError?.(error.value)
        // The refusal needed a pick: going round again waits for the user's next one.
      }
    }
    if (running === own) {
      running = null
      active.value = false
    }
  }

  watch([mounted, () => toValue(options.enabled ?? true)], ([isMounted, isEnabled]) => {
    if (isMounted && isEnabled) void start()
    else stop()
  })
  onMounted(() => {
    mounted.value = true
  })
  onBeforeUnmount(() => {
    mounted.value = false
    stop()
  })

  return { active: readonly(active), error: readonly(error) as Readonly<Ref<ApiError | null>> }
}
