/**
 * `GET auth/config/`: what the server tells the app before it draws a page: whether a
 * CAPTCHA guards the doors bots use (and which widget), the sign-in providers, whether
 * sign-up is open. The client wires this in; it imports types only.
 */

import type { Call } from './http.js'
import type { Provider } from './providers.js'

/** The CAPTCHA widget the server's doors may ask for. */
export interface CaptchaSettings {
  provider: 'turnstile' | 'hcaptcha' | 'recaptcha_v2' | 'recaptcha_v3' | (string & {})
  /** The provider's public site key, for the widget. */
  siteKey: string
}

export interface AuthConfig {
  /** Null when no door asks for a CAPTCHA. */
  captcha: CaptchaSettings | null
  providers: Provider[]
  /** Whether sign-up is open. */
  signup: boolean
}

interface ConfigAnswer {
  captcha: { provider: string; site_key: string } | null
  providers: Provider[]
  signup: boolean
}

/** `config()`: one request, no login needed; the server lets caches keep it for a minute. */
export function createConfig(call: Call, auth: (path: string) => string): () => Promise<AuthConfig> {
  return async () => {
    const { data } = await call<ConfigAnswer>('GET', auth('config/'), { authenticated: false })
    const captcha = data.captcha ? { provider: data.captcha.provider, siteKey: data.captcha.site_key } : null
    return { captcha, providers: data.providers, signup: data.signup }
  }
}
