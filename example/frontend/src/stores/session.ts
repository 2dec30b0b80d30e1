/**
 * The signed-in user and the wiring of token refresh, tab sync and sign-out.
 *
 * The access token itself lives in `auth/tokens` (memory only); this store holds the
 * user and the status that views and route guards read.
 */

import { defineStore } from 'pinia'
import { computed, onScopeDispose, ref } from 'vue'
import * as accountApi from '../api/account'
import * as authApi from '../api/auth'
import { setAuthHooks } from '../api/client'
import { ApiError, endsSession, toApiError } from '../api/errors'
import { createAuthChannel, type AuthChannel, type AuthMessage } from '../auth/channel'
import { createRefresher } from '../auth/refresher'
import { createScheduler } from '../auth/scheduler'
import { getAccessToken, onAccessTokenChange, setAccessToken } from '../auth/tokens'

export type SessionStatus = 'unknown' | 'signed-in' | 'signed-out'

export const useSessionStore = defineStore('session', () => {
  const user = ref<authApi.User | null>(null)
  const status = ref<SessionStatus>('unknown')
  /** Why the last session ended on its own (shown on the login page). */
  const endedReason = ref<ApiError | null>(null)
  const isSignedIn = computed(() => status.value === 'signed-in')
  const isStaff = computed(() => user.value?.is_staff === true)
  let restoring: Promise<void> | null = null
  let channel: AuthChannel | null = null
  const signedOutListeners = new Set<() => void>()
  const signedInElsewhereListeners = new Set<() => void>()

  const refresher = createRefresher({
    requestRefresh: authApi.refreshToken,
    onRefreshed: (access) => channel?.post({ type: 'token', access }),
  })
  const scheduler = createScheduler({ refresh: refresher.refresh, onError: endIfRefused })
  const stopScheduling = onAccessTokenChange((access) => scheduler.schedule(access))

  /**
   * A background refresh failed. The server's 401 (logged out everywhere, revoked, reuse)
   * ends the session now rather than at the user's next click; a lost answer or a server
   * fault does not, and the next call or the tab's return tries again.
   */
  function endIfRefused(error: unknown): void {
    const apiError = toApiError(error)
    if (endsSession(apiError)) signOutLocally(apiError)
  }

  function signIn(next: authApi.User): void {
    user.value = next
    status.value = 'signed-in'
    endedReason.value = null
  }

  function signOutLocally(reason: ApiError | null = null): void {
    const wasSignedIn = status.value === 'signed-in'
    setAccessToken(null)
    user.value = null
    status.value = 'signed-out'
    endedReason.value = reason
    if (wasSignedIn) signedOutListeners.forEach((listener) => listener())
  }

  function handleMessage(message: AuthMessage): void {
    if (message.type === 'token') setAccessToken(message.access)
    else if (message.type === 'login') {
      setAccessToken(message.access)
      signIn(message.user)
      signedInElsewhereListeners.forEach((listener) => listener())
    } else if (message.type === 'logout') signOutLocally()
  }

  /** Wire the API client, the other tabs and visibility; call once at start-up. */
  function start(): void {
    channel ??= createAuthChannel()
    channel.subscribe(handleMessage)
    setAuthHooks({
      refresh: async () => (await refresher.refresh()).token,
      onSessionEnded: (error) => signOutLocally(error),
    })
    if (typeof document !== 'undefined') document.addEventListener('visibilitychange', refreshOnReturn)
  }

  function refreshOnReturn(): void {
    if (document.visibilityState === 'visible' && isSignedIn.value) scheduler.refreshIfStale(getAccessToken())
  }

  // Pinia's $dispose (tests, hot reload): leave no timer, listener or channel behind.
  onScopeDispose(() => {
    stopScheduling()
    scheduler.stop()
    channel?.close()
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', refreshOnReturn)
  })

  /** Restore the login from the refresh cookie; resolves once the status is known. */
  function restore(): Promise<void> {
    restoring ??= (async () => {
      try {
        await authApi.ensureCsrfCookie()
        await refresher.refresh()
        signIn(await authApi.fetchCurrentUser())
      } catch {
        signOutLocally()
      }
    })()
    return restoring
  }

  async function login(username: string, password: string): Promise<void> {
    const result = await authApi.obtainToken(username, password)
    setAccessToken(result.access)
    signIn(result.user)
    channel?.post({ type: 'login', access: result.access, user: result.user })
  }

  async function logout(): Promise<void> {
    const access = getAccessToken()
    try {
      await authApi.logout(access)
    } catch (error) {
      // Signed out locally either way; the server session ends at its expiry at worst.
      console.warn('logout request failed', toApiError(error).code)
    } finally {
      signOutLocally()
      channel?.post({ type: 'logout' })
    }
  }

  /**
   * The server moves this device onto a new session and ends all others, including copies
   * of this device's old refresh cookie: adopt the new token here and in the other tabs,
   * so that none of them is signed out by the change.
   */
  async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await refresher.replaceSession(() => accountApi.changePassword(oldPassword, newPassword))
  }

  function onSignedOut(listener: () => void): () => void {
    signedOutListeners.add(listener)
    return () => signedOutListeners.delete(listener)
  }

  /** Another tab logged in; this one is now signed in too. */
  function onSignedInElsewhere(listener: () => void): () => void {
    signedInElsewhereListeners.add(listener)
    return () => signedInElsewhereListeners.delete(listener)
  }

  return {
    user, status, endedReason, isSignedIn, isStaff,
    start, restore, login, logout, changePassword, signOutLocally, onSignedOut, onSignedInElsewhere,
  }
})
