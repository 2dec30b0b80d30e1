/**
 * Route guards for vue-router, typed by the few members they use, so that vue-router stays
 * an optional peer and any 4.2+ (or 5.x) router fits: `router.beforeEach(createAuthGuard())`
 * waits for the start-up restore and sends visitors of protected routes to the login page;
 * `installAuthGuard` also follows the session as it changes (another tab, a revocation).
 */

import type { AuthClient } from '@spa-auth/client'
import { authOf, useAuth, type SpaAuth } from './plugin.js'

/** The parts of a vue-router route location the guards read. */
export interface GuardRoute {
  fullPath: string
  name?: string | symbol | null | undefined
  meta: Record<PropertyKey, unknown>
  query: Record<string, unknown>
}

/** Where a guard sends the visitor: a named route, or a path. */
export type GuardRedirect = { name: string; query?: Record<string, string> } | string

export type AuthGuard = (to: GuardRoute) => Promise<true | GuardRedirect>

/** The parts of a vue-router `Router` that `installAuthGuard` uses. */
export interface GuardRouter {
  beforeEach(guard: AuthGuard): () => void
  readonly currentRoute: { readonly value: GuardRoute }
  push(to: GuardRedirect): Promise<unknown>
  replace(to: GuardRedirect): Promise<unknown>
}

export interface AuthGuardOptions {
  /** The name of the login route. */
  loginRoute: string
  /** The name of the route a signed-in visitor of the login page goes to; default the path `/`. */
  homeRoute?: string
  /** Which routes need a signed-in user; default those with `meta.requiresAuth: true`. */
  requiresAuth?: (to: GuardRoute) => boolean
  /** The plugin whose session counts; default the one installed on the router's app. */
  auth?: SpaAuth<any>
}

/** Only same-app paths are accepted as `next`, never another origin (`//evil.example`). */
export function safeNext(value: unknown): string | null {
  // A backslash or a control character: browsers read `/\evil.example` as another site.
  if (typeof value !== 'string' || /[\\\u0000-\u001f\u007f]/.test(value)) return null
  return value.startsWith('/') && !value.startsWith('//') ? value : null
}

function rules(options: AuthGuardOptions) {
  const requiresAuth = options.requiresAuth ?? ((to: GuardRoute) => to.meta.requiresAuth === true)
  const home: GuardRedirect = options.homeRoute ? { name: options.homeRoute } : '/'
  const toLogin = (from: GuardRoute): GuardRedirect => ({
    name: options.loginRoute,
    query: from.fullPath === '/' ? {} : { next: from.fullPath },
  })
  const clientOf = (): AuthClient<unknown> => (options.auth ? authOf(options.auth) : useAuth<unknown>()).client

  async function decide(client: AuthClient<unknown>, to: GuardRoute): Promise<true | GuardRedirect> {
    await client.restore()
    const signedIn = client.getState().status === 'signed-in'
    if (requiresAuth(to) && !signedIn) return toLogin(to)
    if (to.name === options.loginRoute && signedIn) return safeNext(to.query.next) ?? home
    return true
  }

  return { requiresAuth, home, toLogin, clientOf, decide }
}

/**
 * A `beforeEach` guard: waits for the start-up restore, sends visitors of protected routes
 * to the login page (with `next`), and signed-in visitors of the login page on to `next`.
 */
export function createAuthGuard(options: AuthGuardOptions): AuthGuard {
  const { clientOf, decide } = rules(options)
  return (to) => decide(clientOf(), to)
}

/**
 * The guard, and a router that follows the session: when it ends (logout here or in another
 * tab, a revocation, an expiry) a protected page goes to the login page; when another tab
 * logs in, the login page goes on. Returns the function that removes both.
 */
export function installAuthGuard(router: GuardRouter, options: AuthGuardOptions): () => void {
  const { requiresAuth, home, toLogin, clientOf, decide } = rules(options)
  let unfollow: (() => void) | null = null

  function follow(client: AuthClient<unknown>): void {
    unfollow = client.onChange(({ state, previous, cause }) => {
      const here = router.currentRoute.value
      if (previous.status === 'signed-in' && state.status === 'signed-out') {
        if (requiresAuth(here)) void router.push(toLogin(here))
      } else if (cause === 'other-tab' && state.status === 'signed-in' && here.name === options.loginRoute) {
        void router.replace(safeNext(here.query.next) ?? home)
      }
    })
  }

  if (options.auth) follow(authOf(options.auth).client)
  const removeGuard = router.beforeEach((to) => {
    // Without `auth`, the app's plugin is found on the first navigation, inside the app.
    const client = clientOf()
    if (!unfollow) follow(client)
    return decide(client, to)
  })
  return () => {
    removeGuard()
    unfollow?.()
  }
}
