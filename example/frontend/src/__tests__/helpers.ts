/**
 * Test helpers: the app's plugins (Pinia, the auth plugin) on a fake `fetch`, the network
 * edge of @spa-auth/client, and a fake axios adapter for the app's own instance.
 */

import { createSpaAuth, type SpaAuth, type SpaAuthOptions } from '@spa-auth/vue'
import type { User } from '@spa-auth/client'
import { AxiosError, AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { createApp, defineComponent, h, type App } from 'vue'

export interface Answer {
  status: number
  data?: unknown
}

export const alice: User = { id: 1, username: 'alice', email: 'a@example.com', first_name: '', last_name: '', is_staff: false }

/** django-spa-auth as the client meets it: `signedIn` says whether the refresh cookie is live. */
export function fakeApi(
  signedIn: boolean,
  handle: (path: string, body: unknown, init: RequestInit) => Answer | null = () => null,
) {
  const calls: string[] = []
  /** The JSON bodies sent, by `METHOD path`. */
  const bodies: Array<{ call: string; body: unknown }> = []
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const path = new URL(String(input), location.href).pathname
    const call = `${init.method ?? 'GET'} ${path}`
    calls.push(call)
    const sent: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    bodies.push({ call, body: sent })
    await Promise.resolve()
    const answer =
      handle(path, sent, init) ??
      (path.endsWith('/auth/obtain_token/')
        ? { status: 200, data: { token: 'jwt', token_type: 'Bearer', expires_in: 300, user: alice } }
        : path.endsWith('/auth/refresh_token/')
          ? signedIn
            ? { status: 200, data: { token: 'restored', token_type: 'Bearer', expires_in: 300 } }
            : { status: 401, data: { detail: 'No refresh token.', code: 'refresh_missing' } }
          : path.endsWith('/user/')
            ? { status: 200, data: alice }
            : { status: 204 })
    const body = answer.data === undefined ? null : JSON.stringify(answer.data)
    return new Response(body, { status: answer.status, headers: { 'Content-Type': 'application/json' } })
  }
  return Object.assign(fetch, { calls, bodies })
}

export interface TestApp {
  app: App
  pinia: Pinia
  auth: SpaAuth<User>
}

let running: TestApp[] = []

/** An app with Pinia and the auth plugin on `fetch`, as `main.ts` sets it up. */
export function testApp(fetch: ReturnType<typeof fakeApi>, options: Partial<SpaAuthOptions> = {}): TestApp {
  const auth = createSpaAuth<User>({ baseURL: '/api/v1/', fetch, channelName: null, ...options })
  const pinia = createPinia()
  const app = createApp(defineComponent({ render: () => h('div') }))
  app.use(pinia)
  app.use(auth)
  app.mount(document.createElement('div'))
  setActivePinia(pinia)
  const made = { app, pinia, auth }
  running.push(made)
  return made
}

/** Unmount every app `testApp` made (and so dispose their clients). */
export function unmountAll(): void {
  running.forEach(({ app }) => app.unmount())
  running = []
}

export function fakeAdapter(
  handler: (config: InternalAxiosRequestConfig) => Answer,
): AxiosAdapter & { calls: InternalAxiosRequestConfig[] } {
  const calls: InternalAxiosRequestConfig[] = []
  const adapter = (async (config: InternalAxiosRequestConfig) => {
    calls.push(config)
    await Promise.resolve()
    const { status, data = {} } = handler(config)
    const response = { status, statusText: String(status), data, headers: new AxiosHeaders(), config }
    if (status >= 400) {
      throw new AxiosError(`HTTP ${status}`, 'ERR_BAD_RESPONSE', config, null, response)
    }
    return response
  }) as AxiosAdapter & { calls: InternalAxiosRequestConfig[] }
  adapter.calls = calls
  return adapter
}

export function authHeader(config: InternalAxiosRequestConfig): string | undefined {
  return AxiosHeaders.from(config.headers).get('Authorization') as string | undefined
}

/** Let the client's calls and the router's navigations settle. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20))
}
