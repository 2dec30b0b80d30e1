import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, h, nextTick, ref, type App } from 'vue'
import { createAuthClient, ApiError } from '@spa-auth/client'
import { createSpaAuth, usePasskeyAutofill, type PasskeyAutofill, type User } from '../index.js'
import { fakeFetch, user } from './helpers.js'

/** One call of the client's autofill: its signal, and how to end it. */
interface Run {
  signal: AbortSignal
  resolve(value: User | null): void
  reject(error: unknown): void
}

let apps: App[] = []

function mounted() {
  const client = createAuthClient<User>({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: null })
  const runs: Run[] = []
  // The client's side is tested in @spa-auth/client: here, a fake that records each call.
  client.startPasskeyAutofill = vi.fn(
    ({ signal } = {}) =>
      new Promise<User | null>((resolve, reject) => {
        runs.push({ signal: signal!, resolve, reject })
        signal!.addEventListener('abort', () => resolve(null), { once: true })
      }),
  )
  const password = ref('')
  const signedIn: User[] = []
  const errors: string[] = []
  let autofill!: PasskeyAutofill
  const app = createApp(
    defineComponent({
      setup() {
        autofill = usePasskeyAutofill<User>({
          enabled: () => !password.value,
          onSignedIn: (who) => signedIn.push(who),
          onError: (error) => errors.push(error.code),
        })
        return () => h('input', { autocomplete: 'username webauthn' })
      },
    }),
  )
  app.use(createSpaAuth({ client, restoreOnInstall: false }))
  const root = document.createElement('div')
  document.body.append(root)
  app.mount(root)
  apps.push(app)
  return { runs, password, signedIn, errors, autofill: () => autofill, app }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await nextTick()
}

describe('usePasskeyAutofill', () => {
  beforeEach(() => {
    document.body.innerHTML = ''
  })
  afterEach(() => {
    apps.forEach((app) => app.unmount())
    apps = []
  })

  it('starts on mount and reports the sign-in', async () => {
    const { runs, signedIn, autofill } = mounted()
    await settle()
    expect(runs).toHaveLength(1)
    expect(autofill().active.value).toBe(true)
    runs[0]!.resolve(user)
    await settle()
    expect(signedIn).toEqual([user])
    expect(autofill().active.value).toBe(false)
  })

  it('is aborted on unmount, with no error', async () => {
    const { runs, app, errors, autofill } = mounted()
    await settle()
    app.unmount()
    apps = []
    expect(runs[0]!.signal.aborted).toBe(true)
    await settle()
    expect(runs).toHaveLength(1)
    expect(errors).toEqual([])
    expect(autofill().error.value).toBeNull()
  })

  it('is aborted while a password is typed, and starts again when the field is cleared', async () => {
    const { runs, password, errors } = mounted()
    await settle()
    password.value = 'h'
    await settle()
    expect(runs[0]!.signal.aborted).toBe(true)
    password.value = 'hunter2'
    await settle()
    expect(runs).toHaveLength(1)
    password.value = '' // a refused password clears the field
    await settle()
    expect(runs).toHaveLength(2)
    expect(runs[1]!.signal.aborted).toBe(false)
    expect(errors).toEqual([])
  })

  it('reports a passkey the server refused, and waits for the next pick', async () => {
    const { runs, errors, autofill } = mounted()
    await settle()
    runs[0]!.reject(new ApiError({ status: 401, code: 'code_invalid', detail: 'No.' }))
    await settle()
    expect(errors).toEqual(['code_invalid'])
    expect(autofill().error.value?.code).toBe('code_invalid')
    expect(runs).toHaveLength(2)
    expect(autofill().active.value).toBe(true)
    runs[1]!.resolve(user)
    await settle()
    expect(autofill().error.value).toBeNull()
  })

  it('shows nothing when the autofill ends on its own (no autofill here, the browser ended it)', async () => {
    const { runs, errors, signedIn, autofill } = mounted()
    await settle()
    runs[0]!.resolve(null)
    await settle()
    expect(runs).toHaveLength(1)
    expect(errors).toEqual([])
    expect(signedIn).toEqual([])
    expect(autofill().active.value).toBe(false)
  })

  it('forgets a refusal once it stops (a password is typed)', async () => {
    const { runs, password, autofill } = mounted()
    await settle()
    runs[0]!.reject(new ApiError({ status: 401, code: 'code_invalid', detail: 'No.' }))
    await settle()
    expect(autofill().error.value?.code).toBe('code_invalid')
    password.value = 'hunter2'
    await settle()
    expect(autofill().active.value).toBe(false)
    expect(autofill().error.value).toBeNull()
  })
})
