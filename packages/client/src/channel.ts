/** Messages between the tabs of one browser: a new token, a login, a logout. */

import type { AccessToken } from './tokens.js'

export type AuthMessage<TUser = unknown> =
  | { type: 'token'; access: AccessToken }
  | { type: 'login'; access: AccessToken; user: TUser }
  | { type: 'logout' }

export interface AuthChannel<TUser = unknown> {
  post(message: AuthMessage<TUser>): void
  subscribe(handler: (message: AuthMessage<TUser>) => void): () => void
  close(): void
}

/** A BroadcastChannel, or a silent stand-in where the browser has none. */
export function createAuthChannel<TUser = unknown>(name = 'spa-auth'): AuthChannel<TUser> {
  if (typeof BroadcastChannel === 'undefined') {
    return { post() {}, subscribe: () => () => {}, close() {} }
  }
  const channel = new BroadcastChannel(name)
  return {
    post: (message) => channel.postMessage(message),
    subscribe(handler) {
      const listener = (event: MessageEvent<AuthMessage<TUser>>) => handler(event.data)
      channel.addEventListener('message', listener)
      return () => channel.removeEventListener('message', listener)
    },
    close: () => channel.close(),
  }
}
