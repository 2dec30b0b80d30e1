/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest'
import * as publicApi from '../index.js'

const sources = import.meta.glob<string>('../*.ts', { query: '?raw', import: 'default', eager: true })

describe('the package surface', () => {
  it('exports the client factory and the error helpers, and nothing else at run time', () => {
    expect(Object.keys(publicApi).sort()).toEqual(['ApiError', 'createAuthClient', 'errorFromResponse', 'toApiError'])
  })

  it('gives every client the account calls', () => {
    const client = publicApi.createAuthClient({ baseURL: '/api/v1/', channelName: null })
    for (const name of [
      'register',
      'verifyEmail',
      'resendVerification',
      'requestPasswordReset',
      'confirmPasswordReset',
      'requestEmailChange',
      'confirmEmailChange',
      'deleteAccount',
    ] as const) {
      expect(typeof client[name]).toBe('function')
    }
    client.dispose()
  })

  it('gives every client the MFA calls', () => {
    const client = publicApi.createAuthClient({ baseURL: '/api/v1/', channelName: null })
    for (const name of [
      'completeMfa',
      'completeMfaWithPasskey',
      'loginWithPasskey',
      'startPasskeyAutofill',
      'mfaStatus',
      'startTotpSetup',
      'confirmTotp',
      'disableTotp',
      'regenerateRecoveryCodes',
      'addPasskey',
      'renamePasskey',
      'removePasskey',
      'reauthenticate',
    ] as const) {
      expect(typeof client[name]).toBe('function')
    }
    client.dispose()
  })

  it('gives every client the provider calls and the account state', () => {
    const client = publicApi.createAuthClient({ baseURL: '/api/v1/', channelName: null })
    for (const name of [
      'providers',
      'config',
      'loginWithProvider',
      'providerResult',
      'connectProvider',
      'reauthenticateWithProvider',
      'identities',
      'disconnectProvider',
      'account',
    ] as const) {
      expect(typeof client[name]).toBe('function')
    }
    client.dispose()
  })

  it('imports no framework and not axios, which stays an optional peer; only the WebAuthn helper', () => {
    const imported = Object.values(sources).flatMap((source) =>
      [...source.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((match) => match[1]!),
    )
    expect(Object.keys(sources).length).toBeGreaterThan(5)
    expect(new Set(imported.filter((name) => !name.startsWith('./')))).toEqual(new Set(['@simplewebauthn/browser']))
  })
})
