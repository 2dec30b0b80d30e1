/** Test helpers: a fake `fetch` and a fake axios adapter, the network edge of the client. */

import { AxiosError, AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios'

export interface Answer {
  status: number
  data?: unknown
  headers?: Record<string, string>
}

export interface FetchCall {
  /** The path under the page's origin, query included (`/api/v1/auth/sessions/?limit=100`). */
  url: string
  method: string
  headers: Headers
  body: unknown
  credentials: RequestCredentials | undefined
  signal: AbortSignal | null | undefined
}

/** Answer this request only when its signal aborts (a timeout), as a hung server would. */
export const HANG = Symbol('hang')

export type FetchHandler = (call: FetchCall) => Answer | typeof HANG

export function fakeFetch(handler: FetchHandler) {
  const calls: FetchCall[] = []
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const url = new URL(href, document.baseURI) // as a browser's fetch resolves it
    const call: FetchCall = {
      url: url.origin === location.origin ? url.pathname + url.search : url.href,
      method: (init.method ?? 'GET').toUpperCase(),
      headers: new Headers(init.headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
      credentials: init.credentials,
      signal: init.signal,
    }
    calls.push(call)
    await Promise.resolve()
    const answer = handler(call) // may throw, like fetch when no answer arrives
    if (answer === HANG) {
      return new Promise((_resolve, reject) => {
        const signal = init.signal
        if (!signal) return
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
    }
    const { status, data, headers = {} } = answer
    const body = status === 204 || data === undefined ? null : typeof data === 'string' ? data : JSON.stringify(data)
    return new Response(body, { status, headers: { 'Content-Type': 'application/json', ...headers } })
  }
  return Object.assign(fetch, { calls })
}

/** What fetch rejects with when no answer arrives. */
export function lostAnswer(): TypeError {
  return new TypeError('Failed to fetch')
}

export const paths = (calls: FetchCall[]) => calls.map((call) => call.url)

export function fakeAdapter(
  handler: (config: InternalAxiosRequestConfig) => Answer,
): AxiosAdapter & { calls: InternalAxiosRequestConfig[] } {
  const calls: InternalAxiosRequestConfig[] = []
  const adapter = (async (config: InternalAxiosRequestConfig) => {
    calls.push(config)
    await Promise.resolve()
    const { status, data = {}, headers = {} } = handler(config)
    const response = { status, statusText: String(status), data, headers: new AxiosHeaders(headers), config }
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

export const user = { id: 1, username: 'alice', email: 'a@example.com', first_name: '', last_name: '', is_staff: false }

export const tokenAnswer = (token: string, expiresIn = 300): Answer => ({
  status: 200,
  data: { token, token_type: 'Bearer', expires_in: expiresIn },
})

/** Let the channel's messages and the promise chains settle. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20))
}
