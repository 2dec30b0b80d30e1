/** Calls to `auth/` and `user/`: the endpoints the session store needs. */

import { http } from './client'
import { isLostResponse } from './errors'
import { REFRESH_REQUEST_TIMEOUT_MS } from '../auth/timing'
import { fromResponse, type AccessToken } from '../auth/tokens'

export interface User {
  id: number
  username: string
  email: string
  first_name: string
  last_name: string
  is_staff: boolean
}

export interface LoginResult {
  access: AccessToken
  user: User
}

export interface TokenBody {
  token: string
  expires_in: number
}

export async function obtainToken(username: string, password: string): Promise<LoginResult> {
  const { data } = await http.post<TokenBody & { user: User }>(
    'auth/obtain_token/',
    { username, password },
    { skipAuth: true },
  )
  return { access: fromResponse(data), user: data.user }
}

/**
 * POST auth/refresh_token/, asked once more at once when the answer is lost: the server may
 * have rotated the cookie already, and then answers the same cookie again from its grace
 * window with the same successor. An HTTP answer is never asked again: the server has
 * decided (and its 401 has already cleared the cookie). One retry, never a loop.
 */
export async function refreshToken(): Promise<AccessToken> {
  try {
    return await postRefresh()
  } catch (error) {
    if (!isLostResponse(error)) throw error
    return postRefresh()
  }
}

async function postRefresh(): Promise<AccessToken> {
  const { data } = await http.post<TokenBody>(
    'auth/refresh_token/',
    {},
    { skipAuth: true, timeout: REFRESH_REQUEST_TIMEOUT_MS },
  )
  return fromResponse(data)
}

export async function ensureCsrfCookie(): Promise<void> {
  if (!document.cookie.split('; ').some((c) => c.startsWith('csrftoken='))) {
    await http.get('auth/csrf/', { skipAuth: true })
  }
}

export async function logout(access: AccessToken | null): Promise<void> {
  const headers = access ? { Authorization: `Bearer ${access.token}` } : {}
  await http.post('auth/logout/', {}, { skipAuth: true, headers })
}

export async function fetchCurrentUser(): Promise<User> {
  const { data } = await http.get<User>('user/')
  return data
}
