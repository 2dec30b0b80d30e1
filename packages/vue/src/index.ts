/**
 * @spa-auth/vue: django-spa-auth in a Vue 3 app. This file is the whole public surface;
 * every other module may change without notice.
 */

export { createSpaAuth, useAuth } from './plugin.js'
export type { SpaAuth, SpaAuthOptions, SpaAuthWithClient, UseAuth } from './plugin.js'
export { usePasskeyAutofill } from './autofill.js'
export type { PasskeyAutofill, UsePasskeyAutofillOptions } from './autofill.js'
export { createAuthGuard, installAuthGuard, safeNext } from './guard.js'
export type { AuthGuard, AuthGuardOptions, GuardRedirect, GuardRoute, GuardRouter } from './guard.js'
export { CAPTCHA_SCRIPTS, CaptchaWidget } from './captcha.js'
export { ApiError, toApiError } from '@spa-auth/client'
export type {
  AccountAnswer,
  AccountCode,
  AccountInfo,
  AuthConfig,
  AuthState,
  AuthStatus,
  CaptchaAnswer,
  CaptchaChallenge,
  CaptchaSettings,
  DeviceInfo,
  LoginCodeFlow,
  MfaChallenge,
  MfaMethod,
  MfaStatus,
  Page,
  Passkey,
  PasskeyAutofillOptions,
  Provider,
  ProviderIdentity,
  ProviderNavigation,
  ProviderResult,
  Reauthentication,
  RecoveryCodes,
  Registration,
  SessionInfo,
  TotpSetup,
  User,
} from '@spa-auth/client'
