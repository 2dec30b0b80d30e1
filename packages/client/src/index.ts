/**
 * @spa-auth/client: the browser side of django-spa-auth, for any framework or none.
 * This file is the whole public surface; every other module may change without notice.
 */

export { createAuthClient } from './client.js'
export type { AuthClient, AuthClientOptions } from './client.js'
export type { AccountActions, AccountAnswer, AccountCode, AccountInfo, CaptchaAnswer, Registration } from './accounts.js'
export type { AuthConfig, CaptchaSettings } from './config.js'
export type {
  MfaActions,
  MfaChallenge,
  MfaMethod,
  MfaStatus,
  Passkey,
  Reauthentication,
  RecoveryCodes,
  TotpSetup,
} from './mfa.js'
export type { PasskeyAutofillOptions } from './autofill.js'
export type { LoginCodeActions, LoginCodeFlow } from './login-code.js'
export type { Provider, ProviderActions, ProviderIdentity, ProviderNavigation, ProviderResult } from './providers.js'
export { ApiError, errorFromResponse, toApiError } from './errors.js'
export type {
  ApiErrorInit,
  CaptchaChallenge,
  Confirmation,
  ErrorCode,
  FieldCodes,
  FieldErrors,
} from './errors.js'
export type { AxiosInstanceLike } from './axios.js'
export type { FetchLike } from './fetch.js'
export type { AuthCause, AuthChange, AuthState, AuthStatus, DeviceInfo, Page, SessionInfo, User } from './types.js'
