import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../App.vue'
import { createAppRouter } from '../router'
import { fakeApi, flush, testApp, unmountAll, type Answer } from './helpers'

const codes = Array.from({ length: 10 }, (_, i) => `c0de${i}a-b1c2d${i}`)

/** The whole app on the Security page, signed in; `handle` answers the MFA calls. */
async function securityPage(handle: (path: string, body: unknown, init: RequestInit) => Answer | null) {
  const fetch = fakeApi(true, handle)
  const { pinia, auth } = testApp(fetch)
  const router = createAppRouter(auth)
  await router.push('/security')
  const app = mount(App, { global: { plugins: [pinia, auth, router] }, attachTo: document.body })
  await flush()
  const button = (name: string) => app.findAll('button').find((candidate) => candidate.text() === name)
  return { app, fetch, button }
}

describe('security page', () => {
  afterEach(() => {
    unmountAll()
    document.body.innerHTML = ''
    history.replaceState(null, '', '/')
  })

  it('sets up the authenticator app: QR code and key, the first code, then the recovery codes once', async () => {
    let enabled = false
    const { app, fetch, button } = await securityPage((path, body) => {
      if (path.endsWith('/auth/mfa/')) {
        return { status: 200, data: { totp: { enabled }, recovery_codes: { remaining: enabled ? 10 : 0 }, passkeys: [] } }
      }
      if (path.endsWith('/auth/mfa/totp/setup/')) {
        return { status: 200, data: { secret: 'JBSWY3DPEHPK3PXP', otpauth_url: 'otpauth://totp/x', qr_svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' } }
      }
      if (path.endsWith('/auth/mfa/totp/confirm/')) {
        if ((body as { code: string }).code !== '123456') return { status: 400, data: { detail: 'No.', code: 'code_invalid' } }
        enabled = true
        return { status: 200, data: { recovery_codes: codes } }
      }
      return null
    })
    expect(app.find('nav').text()).toContain('Security')
    expect(app.text()).toContain('Set up an authenticator app or a passkey first.')
    await button('Set up authenticator app')!.trigger('click')
    await flushPromises()
    const qr = app.get('[aria-label="QR code"]')
    expect(qr.get('img').attributes('src')).toContain('data:image/svg+xml')
    expect(app.get('[data-testid="totp-secret"]').text()).toBe('JBSWY3DPEHPK3PXP')
    expect(button('Copy')).toBeDefined()
    expect(app.get('label[for="totp-code"]').text()).toBe('Code')

    await app.get('#totp-code').setValue('000000')
    await button('Turn on')!.trigger('click')
    await flushPromises()
    expect(app.get('[role="alert"]').text()).toBe('That code is not valid.')

    await app.get('#totp-code').setValue('123456')
    await button('Turn on')!.trigger('click')
    await flushPromises()
    await flush()
    expect(fetch.bodies.filter((sent) => sent.call === 'POST /api/v1/auth/mfa/totp/confirm/').map((sent) => sent.body)).toEqual([
      { code: '000000' },
      { code: '123456' },
    ])
    expect(app.find('[aria-label="QR code"]').exists()).toBe(false)
    expect(app.get('[role="status"]').text()).toBe('The authenticator app is on.')
    expect(app.findAll('[data-testid="recovery-codes"] li').map((item) => item.text())).toEqual(codes)
    expect(app.text()).toContain('They are shown only once')
    expect(button('Download')).toBeDefined()
    expect(app.text()).toContain('Recovery codes left: 10')
    expect(button('Generate new recovery codes')).toBeDefined()
    expect(button('Turn off authenticator app')).toBeDefined()
  })

  it('lists the passkeys with buttons named after each', async () => {
    const { app } = await securityPage((path) =>
      path.endsWith('/auth/mfa/')
        ? {
            status: 200,
            data: {
              totp: { enabled: false },
              recovery_codes: { remaining: 10 },
              passkeys: [{ id: 1, name: 'My laptop', created: '2026-01-01T00:00:00Z', last_used: null }],
            },
          }
        : null,
    )
    expect(app.get('[data-passkey-id="1"]').text()).toContain('My laptop')
    expect(app.get('[aria-label="Rename My laptop"]').text()).toBe('Rename')
    expect(app.get('[aria-label="Remove My laptop"]').text()).toBe('Remove')
    expect(app.get('label[for="passkey-name"]').text()).toBe('Passkey name')
  })
})
