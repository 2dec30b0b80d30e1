import { ApiError } from '@spa-auth/client'
import { describe, expect, it } from 'vitest'
import { messageFor } from '../messages'

const error = (status: number, code: string, detail = 'server text') => new ApiError({ status, code, detail })

describe('messages', () => {
  it('tells a throttled user to wait', () => {
    expect(messageFor(error(429, 'throttled'))).toMatch(/Too many attempts/)
  })

  it('says when the server could not be reached', () => {
    expect(messageFor(error(0, 'network_error'))).toMatch(/could not be reached/)
  })

  it('chooses messages by code, never by the server text', () => {
    expect(messageFor(error(401, 'invalid_credentials', 'anything'))).toBe(
      'That username and password do not match an active account.',
    )
  })

  it('gives a generic message for server errors without a code', () => {
    expect(messageFor(error(502, 'http_502'))).toBe('Something went wrong on the server.')
  })
})
