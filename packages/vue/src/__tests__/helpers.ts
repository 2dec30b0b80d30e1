/** Test helpers: a fake `fetch` answering like django-spa-auth, and an app to run things in. */

import { createApp, defineComponent, h, type App } from 'vue'

export interface Answer {
  status: number
  data?: unknown
}

export type Handler = (path: string, init: RequestInit) => Answer

export const user = { id: 1, username: 'alice', email: 'a@example.com', first_name: '', last_name: '', is_staff: false }
export const tokenAnswer = (token: string): Answer => ({ status: 200, data: { token, token_type: 'Bearer', expires_in: 300 } })
export const refused = (code: string): Answer => ({ status: 401, data: { detail: 'Server wording.', code } })

/** Login, refresh and the user work; `handle` answers anything else (and may override). */
export function fakeFetch(handle: Handler = () => ({ status: 204 }), signedIn = true) {
  const calls: string[] = []
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const path = new URL(String(input), location.href).pathname
    calls.push(`${init.method ?? 'GET'} ${path}`)
    await Promise.resolve()
    let answer = handle(path, init)
    if (answer.status === 204 && path.endsWith('/auth/obtain_token/')) {
      answer = { status: 200, data: { token: 'jwt', expires_in: 300, user } }
    } else if (answer.status === 204 && path.endsWith('/auth/refresh_token/')) {
      answer = signedIn ? tokenAnswer('restored') : refused('refresh_missing')
    } else if (answer.status === 204 && path.endsWith('/user/')) {
      answer = { status: 200, data: user }
    }
    const body = answer.data === undefined ? null : JSON.stringify(answer.data)
    return new Response(body, { status: answer.status, headers: { 'Content-Type': 'application/json' } })
  }
  return Object.assign(fetch, { calls })
}

/** A mounted app with these plugins; `unmount` when done. */
export function appWith(...plugins: Array<{ install(app: App): void }>): App {
  const app = createApp(defineComponent({ render: () => h('div') }))
  plugins.forEach((plugin) => app.use(plugin))
  app.mount(document.createElement('div'))
  return app
}

export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20))
}
