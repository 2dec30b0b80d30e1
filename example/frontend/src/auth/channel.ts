/** Messages between the tabs of one browser: a new token, a login, a logout. */

import type { AccessToken } from './tokens'
import type { User } from '../api/auth'

export type AuthMessage =
  | { type: 'token'; access: AccessToken }
  | { type: 'login'; access: AccessToken; user: User }
  | { type: 'logout' }

export interface AuthChannel {
  post(message: AuthMessage): void
  subscribe(handler: (message: AuthMessage) => void): () => void
  close(): void
}

export function createAuthChannel(name = 'spa-auth'): AuthChannel {
  if (typeof BroadcastChannel === 'undefined') {
    return { post() {}, subscribe: () => () => {}, close() {} }
  }
  const channel = new BroadcastChannel(name)
  return {
    post: (message) => channel.postMessage(message),
    subscribe(handler) {
      const listener = (event: MessageEvent<AuthMessage>) => handler(event.data)
      channel.addEventListener('message', listener)
      return () => channel.removeEventListener('message', listener)
    },
    close: () => channel.close(),
  }
}
