/** Test helpers: a fake axios adapter, the network edge of the app (a handler may throw). */

import { AxiosError, AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios'

export type Handler = (config: InternalAxiosRequestConfig) => { status: number; data?: unknown; headers?: Record<string, string> }

export function fakeAdapter(handler: Handler): AxiosAdapter & { calls: InternalAxiosRequestConfig[] } {
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

/** What axios raises when no answer arrives: `ERR_NETWORK`, or `ECONNABORTED` on a timeout. */
export function lostResponse(config: InternalAxiosRequestConfig, code = 'ERR_NETWORK'): AxiosError {
  return new AxiosError(code === 'ECONNABORTED' ? 'timeout exceeded' : 'Network Error', code, config)
}

export function authHeader(config: InternalAxiosRequestConfig): string | undefined {
  return AxiosHeaders.from(config.headers).get('Authorization') as string | undefined
}
