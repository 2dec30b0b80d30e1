/**
 * The one axios instance: Django's CSRF names (`csrftoken` / `X-CSRFToken`), credentials
 * for the refresh cookie, the in-memory access token on every call, and one retry after
 * a single shared refresh when the access token has expired.
 */

import axios, { type AxiosInstance } from 'axios'
import { getAccessToken } from '../auth/tokens'
import { ApiError, endsSession, toApiError } from './errors'

declare module 'axios' {
  interface AxiosRequestConfig {
    /** Send no access token and never refresh-and-retry (login, refresh, logout). */
    skipAuth?: boolean
    /** Set on the one retry after a refresh, so a request is never retried twice. */
    retried?: boolean
  }
}

export const API_BASE_URL = import.meta.env.VITE_API_BASE_URL ?? '/api/v1/'

/** Codes after which a fresh access token may help; anything else ends the session. */
const REFRESHABLE = new Set(['token_expired', 'token_invalid', 'not_authenticated'])

export interface AuthHooks {
  /** Get a new access token (single flight); rejects when the session is over. */
  refresh(): Promise<string>
  /** The session is over: sign out locally and go to the login page. */
  onSessionEnded(error: ApiError): void
}

let hooks: AuthHooks | null = null

export function setAuthHooks(next: AuthHooks | null): void {
  hooks = next
}

export function createHttp(baseURL = API_BASE_URL): AxiosInstance {
  const instance = axios.create({
    baseURL,
    withCredentials: true,
    xsrfCookieName: 'csrftoken',
    xsrfHeaderName: 'X-CSRFToken',
    // Also when the API is on another origin: this instance only ever calls the API.
    withXSRFToken: true,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    // Refresh sets its own, much shorter timeout (auth/timing).
    timeout: 20_000,
  })

  instance.interceptors.request.use((config) => {
    const current = getAccessToken()
    if (!config.skipAuth && current && !config.headers.has('Authorization')) {
      config.headers.set('Authorization', `Bearer ${current.token}`)
    }
    return config
  })

  instance.interceptors.response.use(undefined, async (error: unknown) => {
    const apiError = toApiError(error)
    const config = axios.isAxiosError(error) ? error.config : undefined
    if (apiError.status !== 401 || !config || config.skipAuth || !hooks) throw apiError
    if (!REFRESHABLE.has(apiError.code) || config.retried) {
      hooks.onSessionEnded(apiError)
      throw apiError
    }
    let token: string
    try {
      token = await hooks.refresh()
    } catch (refreshError) {
      const refreshApiError = toApiError(refreshError)
      // A lost answer or a server fault leaves the session alone: the next call tries again.
      if (!endsSession(refreshApiError)) throw refreshApiError
      hooks.onSessionEnded(refreshApiError)
      throw apiError
    }
    config.retried = true
    config.headers.set('Authorization', `Bearer ${token}`)
    return instance.request(config)
  })

  return instance
}

export const http = createHttp()
