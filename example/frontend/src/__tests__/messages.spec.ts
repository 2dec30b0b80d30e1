import { ApiError } from '@spa-auth/client'
import { describe, expect, it } from 'vitest'
import { setLocale } from '../i18n'
import { messageFor, noticeFor, providerErrorMessage, sessionEndedMessage } from '../messages'

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

  it("says a provider's failure by its code, and never shows text for a code it does not know", () => {
    expect(providerErrorMessage(error(0, 'provider_cancelled'))).toBe('Signing in with the provider was cancelled.')
    expect(providerErrorMessage(error(0, 'identity_not_connected'))).toBe(
      'You signed in at the provider with an account that is not connected to this one. Use the one you connected.',
    )
    expect(providerErrorMessage(error(400, 'navigation_required'))).toBe('The sign-in has to open as a page of its own. Please try again.')
    expect(providerErrorMessage(error(0, 'made_up', 'text from a link'))).toBe(
      'Signing in with the provider did not work. Please try again.',
    )
  })
})

describe('messages in another language', () => {
  it.each([
    ['fr', 'Trop de tentatives. Veuillez patienter avant de réessayer.'],
    ['de', 'Zu viele Versuche. Bitte warten Sie, bevor Sie es erneut versuchen.'],
  ] as const)('are translated by code in %s', (locale, text) => {
    setLocale(locale)
    expect(messageFor(error(429, 'throttled', 'Request was throttled.'))).toBe(text)
  })

  it('give the generic session line in French for an unknown code', () => {
    setLocale('fr')
    expect(sessionEndedMessage(error(401, 'token_invalid'))).toBe('Votre session a pris fin. Veuillez vous reconnecter.')
  })

  it("give a provider's failure in German", () => {
    setLocale('de')
    expect(providerErrorMessage(error(0, 'identity_in_use'))).toBe(
      'Dieses Konto des Anmeldedienstes ist hier bereits mit einem anderen Konto verbunden.',
    )
  })

  it('give a notice in German', () => {
    setLocale('de')
    expect(noticeFor('account_deleted')).toBe('Ihr Konto wurde gelöscht, und Sie wurden überall abgemeldet.')
    expect(noticeFor('anything_else')).toBeNull()
  })
})
