/** Account pages: sessions, password change, the staff user list. */

import { http } from './client'
import type { User } from './auth'

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

export async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  await http.post('auth/password/change/', { old_password: oldPassword, new_password: newPassword })
}

export async function listUsers(limit: number, offset: number): Promise<Page<User>> {
  return (await http.get<Page<User>>('users/', { params: { limit, offset } })).data
}
