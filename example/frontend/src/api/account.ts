/** Account pages: sessions, password change, the staff user list. */

import { http } from './client'
import type { TokenBody, User } from './auth'
import { fromResponse, type AccessToken } from '../auth/tokens'

export interface Page<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
}

export interface SessionInfo {
  id: string
  created: string
  last_used: string
  expires: string
  user_agent: string
  ip: string | null
  current: boolean
}

export async function listSessions(): Promise<Page<SessionInfo>> {
  return (await http.get<Page<SessionInfo>>('auth/sessions/', { params: { limit: 100 } })).data
}

export async function revokeSession(id: string): Promise<void> {
  await http.delete(`auth/sessions/${id}/`)
}

export async function logoutEverywhere(): Promise<void> {
  await http.post('auth/logout_all/')
}

/**
 * The server moves this device onto a brand-new session and ends every other one: its 200
 * carries the new session's access token (its refresh cookie comes along). Older servers
 * answer 204 and keep this session: then there is nothing to adopt.
 */
export async function changePassword(oldPassword: string, newPassword: string): Promise<AccessToken | null> {
  const { status, data } = await http.post<TokenBody>('auth/password/change/', {
    old_password: oldPassword,
    new_password: newPassword,
  })
  return status === 200 ? fromResponse(data) : null
}

export async function listUsers(limit: number, offset: number): Promise<Page<User>> {
  return (await http.get<Page<User>>('users/', { params: { limit, offset } })).data
}
