/** The staff-only user list, paged by the API's limit/offset. */

import type { Page, User } from '@spa-auth/client'
import { http } from './http'

export async function listUsers(limit: number, offset: number): Promise<Page<User>> {
  return (await http.get<Page<User>>('users/', { params: { limit, offset } })).data
}
