/**
 * The requests behind a refresh: `POST auth/refresh_token/`, asked once more when its
 * answer is lost, and the question whether this browser holds a refresh cookie at all.
 * The single flight and the turns between tabs are `refresher`'s; this module only asks.
 */

import { isLostResponse } from './errors.js'
import type { Call } from './http.js'
import { REFRESH_REQUEST_TIMEOUT_MS } from './timing.js'
import { fromResponse, type AccessToken } from './tokens.js'

/** The server's answer to a refresh (and to a password change that moves the session). */
export interface TokenBody {
  token: string
  expires_in: number
}

export interface RefreshRequests {
  /** A new access token from the refresh cookie; rejects with the server's ApiError. */
  requestRefresh(): Promise<AccessToken>
  /** Whether this browser holds a refresh cookie, as far as the server can tell. */
  holdsRefreshCookie(): Promise<boolean>
}

export function createRefreshRequests(deps: { call: Call; auth: (path: string) => string }): RefreshRequests {
  const { call, auth } = deps

  /**
   * POST auth/refresh_token/, asked once more at once when the answer is lost: the server may
   * have rotated the cookie already, and then answers the same cookie again from its grace
   * window with the same successor. An HTTP answer is never asked again: the server has
   * decided (and its 401 has already cleared the cookie). One retry, never a loop.
   */
  async function requestRefresh(): Promise<AccessToken> {
    try {
      return await postRefresh()
    } catch (error) {
      if (!isLostResponse(error)) throw error
      return postRefresh()
    }
  }

  async function postRefresh(): Promise<AccessToken> {
    const { data } = await call<TokenBody>('POST', auth('refresh_token/'), {
      body: {},
      authenticated: false,
      timeoutMs: REFRESH_REQUEST_TIMEOUT_MS,
    })
    return fromResponse(data)
  }

  /**
   * Whether this browser holds a refresh cookie (the server says; the cookie is httpOnly),
   * asked before a restore so that a first visit makes no refresh that can only fail: a
   * 401 the browser would print in its console. The answer sets the CSRF cookie too. A
   * server that does not know the question is answered as before, by trying.
   */
  async function holdsRefreshCookie(): Promise<boolean> {
    try {
      const { data } = await call<{ refresh_cookie?: unknown }>('GET', auth('refresh_token/present/'), {
        authenticated: false,
      })
      return data?.refresh_cookie !== false
    } catch {
      return true
    }
  }

  return { requestRefresh, holdsRefreshCookie }
}
