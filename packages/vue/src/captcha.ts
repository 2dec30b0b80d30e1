/**
 * `<CaptchaWidget>`: the CAPTCHA a door of the server asked for (`captcha_required`), drawn
 * with the provider's own script, which is loaded only when a widget is first shown. It
 * renders explicitly into its own element and gives the answer through `v-model`
 * (`update:modelValue`: the token, or null once it expires). An answer is good for one
 * request: after a refused one, `reset()` it (or re-mount the widget) for a new one.
 * Imports Vue only.
 */

import { defineComponent, h, onBeforeUnmount, onMounted, ref, type PropType } from 'vue'

/** The providers' scripts, in explicit-render mode (reCAPTCHA v3 takes its site key). */
export const CAPTCHA_SCRIPTS: Record<string, (siteKey: string) => string> = {
  turnstile: () => 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit',
  hcaptcha: () => 'https://js.hcaptcha.com/1/api.js?render=explicit&recaptchacompat=off',
  recaptcha_v2: () => 'https://www.google.com/recaptcha/api.js?render=explicit',
  recaptcha_v3: (siteKey) => `https://www.google.com/recaptcha/api.js?render=${encodeURIComponent(siteKey)}`,
}

interface WidgetOptions {
  sitekey: string
  action?: string
  callback: (token: string) => void
  'expired-callback': () => void
  'error-callback': () => void
}

/** What Turnstile, hCaptcha and reCAPTCHA v2 share: render into an element, reset, remove. */
interface RenderingApi {
  render(element: HTMLElement, options: WidgetOptions): string | number
  reset(id?: string | number): void
  remove?(id: string | number): void
}

interface RecaptchaApi extends RenderingApi {
  ready(callback: () => void): void
  execute(siteKey: string, options: { action: string }): Promise<string>
}

type Globals = { turnstile?: RenderingApi; hcaptcha?: RenderingApi; grecaptcha?: RecaptchaApi }

const loading = new Map<string, Promise<void>>()

/** Add the script once per URL; every widget after the first waits for the same load. */
export function loadScript(url: string): Promise<void> {
  let found = loading.get(url)
  if (!found) {
    found = new Promise<void>((resolve, reject) => {
      const script = document.createElement('script')
      script.src = url
      script.async = true
      script.addEventListener('load', () => resolve())
      script.addEventListener('error', () => {
        loading.delete(url) // a later widget may try again
        reject(new Error(`could not load ${url}`))
      })
      document.head.appendChild(script)
    })
    loading.set(url, found)
  }
  return found
}

function apiOf(provider: string): RenderingApi | RecaptchaApi | undefined {
  const globals = window as unknown as Globals
  if (provider === 'turnstile') return globals.turnstile
  if (provider === 'hcaptcha') return globals.hcaptcha
  return globals.grecaptcha
}

function whenReady(provider: string): Promise<RenderingApi | RecaptchaApi> {
  const api = apiOf(provider)
  if (!api) return Promise.reject(new Error(`the ${provider} script defined no API`))
  if (!provider.startsWith('recaptcha')) return Promise.resolve(api)
  return new Promise((resolve) => (api as RecaptchaApi).ready(() => resolve(api)))
}

export const CaptchaWidget = defineComponent({
  name: 'CaptchaWidget',
  props: {
    /** `turnstile`, `hcaptcha`, `recaptcha_v2` or `recaptcha_v3` (the `captcha` of the error). */
    provider: { type: String, required: true },
    siteKey: { type: String, required: true },
    /** The door (`signup`, `login`, …): Turnstile's and reCAPTCHA v3's action. */
    action: { type: String, default: undefined },
    modelValue: { type: String as PropType<string | null>, default: null },
  },
  emits: {
    'update:modelValue': (token: string | null) => token === null || typeof token === 'string',
    /** The script could not load, or the widget failed: the page may say so and offer a retry. */
    error: (error: Error) => error instanceof Error,
  },
  setup(props, { emit, expose }) {
    const element = ref<HTMLElement | null>(null)
    let widget: string | number | null = null
    let api: RenderingApi | RecaptchaApi | null = null
    let alive = true

    async function executeV3(recaptcha: RecaptchaApi): Promise<void> {
      const token = await recaptcha.execute(props.siteKey, { action: props.action ?? 'submit' })
      if (alive) emit('update:modelValue', token)
    }

    async function show(): Promise<void> {
      // Own names only: an inherited one (`constructor`) would make the site key the script's URL.
      const script = Object.hasOwn(CAPTCHA_SCRIPTS, props.provider) ? CAPTCHA_SCRIPTS[props.provider] : undefined
      if (!script) throw new Error(`no script for the CAPTCHA provider ${props.provider}`)
      await loadScript(script(props.siteKey))
      api = await whenReady(props.provider)
      if (!alive || !element.value) return
      if (props.provider === 'recaptcha_v3') return executeV3(api as RecaptchaApi)
      widget = api.render(element.value, {
        sitekey: props.siteKey,
        ...(props.action && props.provider === 'turnstile' ? { action: props.action } : {}),
        callback: (token) => emit('update:modelValue', token),
        'expired-callback': () => emit('update:modelValue', null),
        'error-callback': () => {
          emit('update:modelValue', null)
          emit('error', new Error(`the ${props.provider} widget failed`))
        },
      })
    }

    /** A new answer: the last one was spent (or refused). */
    function reset(): void {
      emit('update:modelValue', null)
      if (!api) return
      if (props.provider === 'recaptcha_v3') void executeV3(api as RecaptchaApi).catch((e: Error) => emit('error', e))
      else if (widget !== null) api.reset(widget)
    }
    expose({ reset })

    onMounted(() => {
      show().catch((error: unknown) => emit('error', error instanceof Error ? error : new Error(String(error))))
    })
    onBeforeUnmount(() => {
      alive = false
      if (api?.remove && widget !== null) api.remove(widget)
    })
    return () => h('div', { ref: element, class: 'spa-auth-captcha', 'data-provider': props.provider })
  },
})
