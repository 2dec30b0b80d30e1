import { AxiosError, AxiosHeaders } from 'axios'
import { describe, expect, it } from 'vitest'
import { ApiError, errorFromResponse, toApiError } from '../errors.js'

function httpError(status: number, data: unknown, headers: Record<string, string> = {}) {
  const config = { headers: new AxiosHeaders() }
  return new AxiosError('fail', 'ERR', config, null, {
    status, statusText: '', data, headers: new AxiosHeaders(headers), config,
  })
}

describe('error mapping', () => {
  it('reads status, code, detail and field errors', () => {
    const error = toApiError(httpError(400, { detail: 'bad', code: 'invalid', errors: { new_password: ['Too short.'] } }))
    expect(error).toMatchObject({ status: 400, code: 'invalid', detail: 'bad' })
    expect(error.fields.new_password).toEqual(['Too short.'])
  })

  it('reads the code of each field error beside its message', () => {
    const body = {
      detail: 'bad',
      code: 'invalid',
      errors: { new_password: ['Too short.', 'In a breach.'] },
      codes: { new_password: ['password_too_short', 'password_breached'] },
    }
    const error = toApiError(httpError(400, body))
    expect(error.fields.new_password).toEqual(['Too short.', 'In a breach.'])
    expect(error.fieldCodes.new_password).toEqual(['password_too_short', 'password_breached'])
    // An older server sends no codes: an empty map, never a crash.
    expect(toApiError(httpError(400, { detail: 'bad', code: 'invalid', errors: {} })).fieldCodes).toEqual({})
    expect(toApiError(httpError(400, { code: 'invalid', codes: ['x'] })).fieldCodes).toEqual({})
  })

  it('reads the 503 of a breach check that could not be made, with when to try again', () => {
    const body = { detail: 'Try again in a minute.', code: 'breach_check_unavailable' }
    const error = toApiError(httpError(503, body, { 'retry-after': '60' }))
    expect(error).toMatchObject({ status: 503, code: 'breach_check_unavailable', retryAfter: 60 })
  })

  it('reads Retry-After on a 429', () => {
    const error = toApiError(httpError(429, { detail: 'slow', code: 'throttled' }, { 'retry-after': '42' }))
    expect(error).toMatchObject({ code: 'throttled', retryAfter: 42 })
  })

  it('calls a missing response a network error', () => {
    expect(toApiError(new AxiosError('Network Error', 'ERR_NETWORK')).code).toBe('network_error')
  })

  it('names a code of its own for an HTTP error without one', () => {
    expect(toApiError(httpError(502, '<html>'))).toMatchObject({ status: 502, code: 'http_502' })
  })

  it('keeps the original error as the cause', () => {
    const original = httpError(401, { code: 'token_expired', detail: 'x' })
    expect(toApiError(original).cause).toBe(original)
  })

  it('passes an ApiError through unchanged', () => {
    const error = new ApiError({ status: 401, code: 'session_revoked', detail: 'x' })
    expect(toApiError(error)).toBe(error)
  })
})

describe('error mapping for fetch', () => {
  it('reads a Response: code, detail, fields and Retry-After', async () => {
    const response = new Response(JSON.stringify({ detail: 'slow', code: 'throttled', errors: { username: ['x'] } }), {
      status: 429,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '7' },
    })
    expect(await errorFromResponse(response)).toMatchObject({
      status: 429, code: 'throttled', detail: 'slow', retryAfter: 7, fields: { username: ['x'] },
    })
  })

  it('reads a body that is not JSON by its status', async () => {
    const response = new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    expect(await errorFromResponse(response)).toMatchObject({ status: 502, code: 'http_502', detail: 'Bad Gateway' })
  })

  it('calls a failed fetch or a timeout a network error, and a cancelled one aborted', () => {
    expect(toApiError(new TypeError('Failed to fetch'))).toMatchObject({ status: 0, code: 'network_error' })
    expect(toApiError(new DOMException('late', 'TimeoutError')).code).toBe('network_error')
    expect(toApiError(new DOMException('stop', 'AbortError')).code).toBe('aborted')
    expect(toApiError('odd').code).toBe('client_error')
  })
})
