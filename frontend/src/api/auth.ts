/** Calls to `auth/` and `user/`: the endpoints the session store needs. */

import { http } from './client'
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

interface TokenBody {
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

export async function refreshToken(): Promise<AccessToken> {
  const { data } = await http.post<TokenBody>('auth/refresh_token/', {}, { skipAuth: true })
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
