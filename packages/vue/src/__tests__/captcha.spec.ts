import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApp, defineComponent, h, nextTick, ref, type App } from 'vue'
import { CAPTCHA_SCRIPTS, CaptchaWidget } from '../index.js'

type Options = { sitekey: string; action?: string; callback: (token: string) => void; 'expired-callback': () => void }

let apps: App[] = []
const globals = window as unknown as Record<string, unknown>

function scripts(): HTMLScriptElement[] {
  return [...document.head.querySelectorAll('script')]
}

/** The provider's script "arrives": its global is defined, then its load event fires. */
function arrive(url: string, api: unknown, name: string): void {
  globals[name] = api
  const script = scripts().find((found) => found.src === url)
  expect(script).toBeDefined()
  script!.dispatchEvent(new Event('load'))
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await nextTick()
}

function mount(props: Record<string, unknown>) {
  const token = ref<string | null>(null)
  const errors: Error[] = []
  const widget = ref<{ reset(): void } | null>(null)
  const app = createApp(
    defineComponent({
      setup() {
        return () =>
          h(CaptchaWidget as never, {
            ...props,
            ref: widget,
            modelValue: token.value,
            'onUpdate:modelValue': (value: string | null) => (token.value = value),
            onError: (error: Error) => errors.push(error),
          })
      },
    }),
  )
  const root = document.createElement('div')
  app.mount(root)
  apps.push(app)
  return { token, errors, root, widget }
}

function renderingApi() {
  const rendered: Options[] = []
  return {
    rendered,
    render: vi.fn((_element: HTMLElement, options: Options) => {
      rendered.push(options)
      return 'widget-1'
    }),
    reset: vi.fn(),
    remove: vi.fn(),
  }
}

describe('CaptchaWidget', () => {
  afterEach(() => {
    for (const app of apps) app.unmount()
    apps = []
  })

  it('loads no provider script until a widget is shown', () => {
    expect(scripts()).toEqual([])
  })

  it('loads Turnstile once, renders explicitly with the door as action, and gives its answer', async () => {
    const url = CAPTCHA_SCRIPTS.turnstile('site')
    const first = mount({ provider: 'turnstile', siteKey: 'site', action: 'signup' })
    mount({ provider: 'turnstile', siteKey: 'site', action: 'signup' })
    expect(scripts().filter((script) => script.src === url)).toHaveLength(1)
    const turnstile = renderingApi()
    arrive(url, turnstile, 'turnstile')
    await settle()
    expect(turnstile.render).toHaveBeenCalledTimes(2)
    expect(turnstile.rendered[0]).toMatchObject({ sitekey: 'site', action: 'signup' })
    turnstile.rendered[0].callback('answer-1')
    expect(first.token.value).toBe('answer-1')
    turnstile.rendered[0]['expired-callback']()
    expect(first.token.value).toBeNull()
    first.widget.value!.reset()
    expect(turnstile.reset).toHaveBeenCalledWith('widget-1')
  })

  it('renders hCaptcha and reCAPTCHA v2 without an action', async () => {
    const hcaptcha = renderingApi()
    mount({ provider: 'hcaptcha', siteKey: 'h-site', action: 'login' })
    arrive(CAPTCHA_SCRIPTS.hcaptcha('h-site'), hcaptcha, 'hcaptcha')
    await settle()
    expect(hcaptcha.rendered[0].sitekey).toBe('h-site')
    expect(hcaptcha.rendered[0].action).toBeUndefined()
  })

  it('runs reCAPTCHA v3 with the door as action, no widget drawn', async () => {
    const execute = vi.fn(async () => 'v3-answer')
    const grecaptcha = { ready: (callback: () => void) => callback(), execute, render: vi.fn(), reset: vi.fn() }
    const { token } = mount({ provider: 'recaptcha_v3', siteKey: 'v3 key', action: 'password_reset' })
    expect(CAPTCHA_SCRIPTS.recaptcha_v3('v3 key')).toBe('https://www.google.com/recaptcha/api.js?render=v3%20key')
    arrive(CAPTCHA_SCRIPTS.recaptcha_v3('v3 key'), grecaptcha, 'grecaptcha')
    await settle()
    expect(execute).toHaveBeenCalledWith('v3 key', { action: 'password_reset' })
    expect(grecaptcha.render).not.toHaveBeenCalled()
    expect(token.value).toBe('v3-answer')
  })

  it('says so when the script cannot load, and a later widget tries again', async () => {
    const url = CAPTCHA_SCRIPTS.recaptcha_v2('k')
    const { errors } = mount({ provider: 'recaptcha_v2', siteKey: 'k' })
    scripts()
      .find((script) => script.src === url)!
      .dispatchEvent(new Event('error'))
    await settle()
    expect(errors.map((error) => error.message)).toEqual([`could not load ${url}`])
    mount({ provider: 'recaptcha_v2', siteKey: 'k' })
    expect(scripts().filter((script) => script.src === url)).toHaveLength(2)
  })

  it('refuses a provider it has no script for', async () => {
    const { errors } = mount({ provider: 'unknown', siteKey: 'k' })
    await settle()
    expect(errors[0].message).toMatch(/no script/)
  })

  it('loads no script for a provider name an object inherits, whatever the site key', async () => {
    const { errors } = mount({ provider: 'constructor', siteKey: 'https://evil.example/steal.js' })
    await settle()
    expect(scripts().map((script) => script.src)).not.toContain('https://evil.example/steal.js')
    expect(errors).toHaveLength(1)
  })
})
