/**
 * @spa-auth/client: the browser side of django-spa-auth, for any framework or none.
 * This file is the whole public surface; every other module may change without notice.
 */

export { createAuthClient } from './client.js'
export type { AuthClient, AuthClientOptions } from './client.js'
export type { AccountActions, AccountAnswer, AccountCode, AccountInfo, Registration } from './accounts.js'
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
export type { LoginCodeActions, LoginCodeFlow } from './login-code.js'
export type { Provider, ProviderActions, ProviderIdentity, ProviderNavigation, ProviderResult } from './providers.js'
export { ApiError, errorFromResponse, toApiError } from './errors.js'
export type { ApiErrorInit, Confirmation, ErrorCode, FieldErrors } from './errors.js'
export type { AxiosInstanceLike } from './axios.js'
export type { FetchLike } from './fetch.js'
export type { AuthCause, AuthChange, AuthState, AuthStatus, Page, SessionInfo, User } from './types.js'
