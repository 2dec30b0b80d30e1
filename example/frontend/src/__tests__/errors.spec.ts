import { AxiosError, AxiosHeaders } from 'axios'
import { describe, expect, it } from 'vitest'
import { messageFor, toApiError } from '../api/errors'

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

  it('reads Retry-After on a 429', () => {
    const error = toApiError(httpError(429, { detail: 'slow', code: 'throttled' }, { 'retry-after': '42' }))
    expect(error.retryAfter).toBe(42)
    expect(messageFor(error)).toMatch(/Too many attempts/)
  })

  it('calls a missing response a network error', () => {
    const error = toApiError(new AxiosError('Network Error', 'ERR_NETWORK'))
    expect(error.code).toBe('network_error')
    expect(messageFor(error)).toMatch(/could not be reached/)
  })

  it('chooses messages by code, never by the server text', () => {
    const error = toApiError(httpError(401, { detail: 'anything', code: 'invalid_credentials' }))
    expect(messageFor(error)).toBe('That username and password do not match an active account.')
  })

  it('gives a generic message for server errors without a code', () => {
    expect(messageFor(toApiError(httpError(502, '<html>')))).toBe('Something went wrong on the server.')
  })
})
