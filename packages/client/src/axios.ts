/**
 * Interceptors for an axios instance of the app's: the access token as `Authorization`,
 * Django's CSRF header and the app's language on requests to the API, and after a 401 one shared refresh and one
 * retry (or, for a step-up 401, the app's re-authentication prompt and one retry). Every
 * rejection becomes an `ApiError` (the axios error as its `cause`).
 *
 * axios is an optional peer: nothing here imports it. The instance is typed by the few
 * members used, so any axios 1.x instance fits and apps without axios pull in nothing.
 */

import { toApiError } from './errors.js'
import { addCsrfHeader, addLanguageHeader, isApiURL } from './http.js'
import { decideAfter401, type Attempts, type SessionHooks } from './session-hooks.js'

/** Set on a retry, per reason (plain keys: axios copies them into the retry's config). */
const RETRIED: Record<keyof Attempts, string> = {
  refreshed: '_spaAuthRetried',
  reauthenticated: '_spaAuthReauthenticated',
}

/** The members of axios's `InternalAxiosRequestConfig` that the interceptors use. */
export interface AxiosRequestConfigLike {
  url?: string
  baseURL?: string
  method?: string
  headers: { has(name: string): boolean; set(name: string, value: string): unknown }
}

interface InterceptorManagerLike<V> {
  // Method syntax on purpose: axios's own signatures take narrower callbacks.
  use(onFulfilled?: ((value: V) => V | Promise<V>) | null, onRejected?: ((error: any) => any) | null): number
  eject(id: number): void
}

/** The members of an `AxiosInstance` that the interceptors use. */
export interface AxiosInstanceLike {
  interceptors: {
    request: InterceptorManagerLike<any>
    response: InterceptorManagerLike<any>
  }
  request(config: any): Promise<any>
  getUri(config?: any): string
}

/** Install the interceptors on `instance`; the function returned removes them again. */
export function installAxiosInterceptors(instance: AxiosInstanceLike, hooks: SessionHooks): () => void {
  // Where the request goes by axios's own rules (`getUri` takes the steps its adapters take),
  // not a copy of them: url under baseURL unless url is absolute, `//host` included, and under
  // baseURL even then with `allowAbsoluteUrls: false`. isApiURL resolves it as the browser will.
  const isForApi = (config: AxiosRequestConfigLike) => isApiURL(hooks, instance.getUri(config))

  const request = instance.interceptors.request.use((config: AxiosRequestConfigLike) => {
    if (!isForApi(config)) return config
    const token = hooks.accessToken()
    if (token && !config.headers.has('Authorization')) config.headers.set('Authorization', `${hooks.scheme} ${token}`)
    const added = new Headers()
    addCsrfHeader(hooks, added, config.method ?? 'GET')
    addLanguageHeader(hooks, added)
    added.forEach((value, name) => {
      if (!config.headers.has(name)) config.headers.set(name, value)
    })
    return config
  })

  const response = instance.interceptors.response.use(undefined, async (error: unknown) => {
    const apiError = toApiError(error)
    const config = (error as { config?: AxiosRequestConfigLike & Record<string, unknown> } | null)?.config
    if (apiError.status !== 401 || !config || !isForApi(config)) throw apiError
    const attempts: Attempts = {
      refreshed: config[RETRIED.refreshed] === true,
      reauthenticated: config[RETRIED.reauthenticated] === true,
    }
    const verdict = await decideAfter401(hooks, apiError, attempts)
    if ('give' in verdict) throw verdict.give === 'error' ? verdict.error : apiError
    config[RETRIED[verdict.after]] = true
    config.headers.set('Authorization', `${hooks.scheme} ${verdict.retryWith}`)
    return instance.request(config)
  })

  return () => {
    instance.interceptors.request.eject(request)
    instance.interceptors.response.eject(response)
  }
}
