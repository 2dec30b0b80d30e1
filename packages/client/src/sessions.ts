/**
 * The calls on the user's sessions: the list, ending one or every one, the known devices
 * (listing, forgetting one), and a password change, which moves this browser onto a new session. Each is one request through the
 * client's own `call`. The client wires this in; it imports types and helpers only.
 */

import type { Call } from './http.js'
import type { TokenBody } from './refresh-request.js'
import type { Refresher } from './refresher.js'
import { fromResponse } from './tokens.js'
import type { DeviceInfo, Page, SessionInfo } from './types.js'

/** The session members of `AuthClient`; every one rejects with an `ApiError`. */
export interface SessionActions {
  /** End every session of the user (every device), then sign out here. */
  logoutAll(): Promise<void>
  /** The user's live sessions, this browser's marked `current`. */
  sessions(options?: { limit?: number; offset?: number }): Promise<Page<SessionInfo>>
  /** End one of the user's sessions (another device, or this one). */
  revokeSession(id: string): Promise<void>
  /** The browsers the user signed in from (a new one gets a mailed notice), this one `current`. */
  devices(): Promise<DeviceInfo[]>
  /** Forget a device: its next sign-in mails a notice again. */
  forgetDevice(id: string): Promise<void>
  /**
   * Change the password: the server ends every session and moves this browser onto a new
   * one, whose token this tab and the other tabs adopt, so none of them is signed out.
   */
  changePassword(oldPassword: string, newPassword: string): Promise<void>
}

export interface SessionDeps {
  call: Call
  auth: (path: string) => string
  refresher: Pick<Refresher, 'replaceSession'>
  /** This session's logout: the server's, then here and in the other tabs. */
  logout(): Promise<void>
}

export function createSessionActions(deps: SessionDeps): SessionActions {
  const { call, auth, refresher, logout } = deps
  return {
    async logoutAll() {
      await call('POST', auth('logout_all/'))
      await logout()
    },
    async sessions({ limit = 100, offset } = {}) {
      const query = new URLSearchParams({ limit: String(limit) })
      if (offset !== undefined) query.set('offset', String(offset))
      return (await call<Page<SessionInfo>>('GET', auth(`sessions/?${query}`))).data
    },
    async revokeSession(id) {
      await call('DELETE', auth(`sessions/${encodeURIComponent(id)}/`))
    },
    async devices() {
      return (await call<DeviceInfo[]>('GET', auth('devices/'))).data
    },
    async forgetDevice(id) {
      await call('DELETE', auth(`devices/${encodeURIComponent(id)}/`))
    },
    async changePassword(oldPassword, newPassword) {
      // The server moves this device onto a new session and ends all others, including
      // copies of this device's old refresh cookie: adopt the new token here and in the
      // other tabs. Older servers answer 204 and keep this session: nothing to adopt.
      await refresher.replaceSession(async () => {
        const { status, data } = await call<TokenBody>('POST', auth('password/change/'), {
          body: { old_password: oldPassword, new_password: newPassword },
        })
        return status === 200 ? fromResponse(data) : null
      })
    },
  }
}
