/**
 * The Vue plugin and `useAuth()`: one `@spa-auth/client` per app, its state mirrored into
 * refs that components, route guards and stores read. Imports Vue and the client only:
 * no Pinia, and no router (see `guard`).
 */

import {
  computed,
  effectScope,
  hasInjectionContext,
  inject,
  shallowRef,
  type App,
  type ComputedRef,
  type InjectionKey,
} from 'vue'
import {
  createAuthClient,
  type AccountActions,
  type ApiError,
  type AuthConfig,
  type CaptchaAnswer,
  type AuthClient,
  type AuthClientOptions,
  type AuthState,
  type AuthStatus,
  type LoginCodeActions,
  type MfaActions,
  type DeviceInfo,
  type Page,
  type ProviderActions,
  type SessionInfo,
  type User,
} from '@spa-auth/client'

export interface SpaAuthOptions extends AuthClientOptions {
  /** Restore the login from the refresh cookie as soon as the plugin is installed. Default true. */
  restoreOnInstall?: boolean
}

export interface SpaAuthWithClient<TUser = User> {
  /** A client made with `createAuthClient`, e.g. one that non-Vue code shares. */
  client: AuthClient<TUser>
  restoreOnInstall?: boolean
}

/**
 * What `useAuth()` gives: the state as read-only refs, and the client's actions, the account
 * calls (`register`, `verifyEmail`, `requestPasswordReset`, `account`, `deleteAccount`, …), the MFA
 * calls (`completeMfa`, `loginWithPasskey`, `mfaStatus`, `addPasskey`, `reauthenticate`, …) and
 * the provider calls (`providers`, `loginWithProvider`, `providerResult`, `connectProvider`,
 * `reauthenticateWithProvider`, …) and the mailed code's (`requestLoginCode`, `loginWithCode`)
 * included.
 */
export interface UseAuth<TUser = User>
  extends AccountActions,
    MfaActions<TUser>,
    ProviderActions,
    LoginCodeActions<TUser> {
  user: ComputedRef<TUser | null>
  status: ComputedRef<AuthStatus>
  /** Why the last session ended on its own (`session_revoked`, …); null otherwise. */
  reason: ComputedRef<ApiError | null>
  isSignedIn: ComputedRef<boolean>
  /** Log in; `options.captcha` is the widget's answer after a `captcha_required` error. */
  login(username: string, password: string, options?: CaptchaAnswer): Promise<TUser>
  /** `GET auth/config/`: the CAPTCHA widget the doors may ask for, the providers, sign-up. */
  config(): Promise<AuthConfig>
  logout(): Promise<void>
  logoutAll(): Promise<void>
  restore(): Promise<AuthState<TUser>>
  sessions(options?: { limit?: number; offset?: number }): Promise<Page<SessionInfo>>
  revokeSession(id: string): Promise<void>
  /** The browsers the user signed in from, this one `current`. */
  devices(): Promise<DeviceInfo[]>
  /** Forget a device: its next sign-in mails a notice again. */
  forgetDevice(id: string): Promise<void>
  changePassword(oldPassword: string, newPassword: string): Promise<void>
  /** The client underneath: `fetch`, `installInterceptors`, `getAccessToken`, `onChange`. */
  client: AuthClient<TUser>
}

/** The plugin: `app.use(createSpaAuth({ baseURL }))`. */
export interface SpaAuth<TUser = User> {
  readonly client: AuthClient<TUser>
  install(app: App): void
}

const AUTH: InjectionKey<UseAuth<unknown>> = Symbol('spa-auth')
const contexts = new WeakMap<SpaAuth<unknown>, UseAuth<unknown>>()

export function createSpaAuth<TUser = User>(options: SpaAuthOptions | SpaAuthWithClient<TUser>): SpaAuth<TUser> {
  const owned = !('client' in options)
  const client = 'client' in options ? options.client : createAuthClient<TUser>(options)
  const restoreOnInstall = options.restoreOnInstall ?? true
  const scope = effectScope(true)
  const state = shallowRef(client.getState())
  const stopMirroring = client.onChange((change) => {
    state.value = change.state
  })
  const context = scope.run(
    (): UseAuth<TUser> => ({
      user: computed(() => state.value.user),
      status: computed(() => state.value.status),
      reason: computed(() => state.value.reason),
      isSignedIn: computed(() => state.value.status === 'signed-in'),
      login: (username, password, options) => client.login(username, password, options),
      config: () => client.config(),
      logout: () => client.logout(),
      logoutAll: () => client.logoutAll(),
      restore: () => client.restore(),
      sessions: (query) => client.sessions(query),
      revokeSession: (id) => client.revokeSession(id),
      devices: () => client.devices(),
      forgetDevice: (id) => client.forgetDevice(id),
      changePassword: (oldPassword, newPassword) => client.changePassword(oldPassword, newPassword),
      register: (registration) => client.register(registration),
      verifyEmail: (key, password) => client.verifyEmail(key, password),
      resendVerification: (email, options) => client.resendVerification(email, options),
      requestPasswordReset: (email, options) => client.requestPasswordReset(email, options),
      confirmPasswordReset: (key, newPassword) => client.confirmPasswordReset(key, newPassword),
      requestEmailChange: (newEmail, password) => client.requestEmailChange(newEmail, password),
      confirmEmailChange: (key, password) => client.confirmEmailChange(key, password),
      account: () => client.account(),
      deleteAccount: (password) => client.deleteAccount(password),
      completeMfa: (challenge) => client.completeMfa(challenge),
      completeMfaWithPasskey: (challenge) => client.completeMfaWithPasskey(challenge),
      loginWithPasskey: () => client.loginWithPasskey(),
      startPasskeyAutofill: (autofillOptions) => client.startPasskeyAutofill(autofillOptions),
      mfaStatus: () => client.mfaStatus(),
      startTotpSetup: () => client.startTotpSetup(),
      confirmTotp: (code) => client.confirmTotp(code),
      disableTotp: () => client.disableTotp(),
      regenerateRecoveryCodes: () => client.regenerateRecoveryCodes(),
      addPasskey: (name) => client.addPasskey(name),
      renamePasskey: (id, name) => client.renamePasskey(id, name),
      removePasskey: (id) => client.removePasskey(id),
      reauthenticate: (proof) => client.reauthenticate(proof),
      requestFactorEnrolment: () => client.requestFactorEnrolment(),
      confirmFactorEnrolment: (key) => client.confirmFactorEnrolment(key),
      providers: () => client.providers(),
      loginWithProvider: (id, navigation) => client.loginWithProvider(id, navigation),
      providerResult: () => client.providerResult(),
      connectProvider: (id, navigation) => client.connectProvider(id, navigation),
      reauthenticateWithProvider: (id, navigation) => client.reauthenticateWithProvider(id, navigation),
      identities: () => client.identities(),
      disconnectProvider: (identityId) => client.disconnectProvider(identityId),
      requestLoginCode: (email, options) => client.requestLoginCode(email, options),
      loginWithCode: (answer) => client.loginWithCode(answer),
      client,
    }),
  )!
  const plugin: SpaAuth<TUser> = {
    client,
    install(app) {
      app.provide(AUTH, context as UseAuth<unknown>)
      if (owned) {
        // A client the plugin made is the plugin's to end; one passed in is its owner's.
        app.onUnmount(() => {
          stopMirroring()
          scope.stop()
          client.dispose()
        })
      }
      if (restoreOnInstall) void client.restore()
    },
  }
  contexts.set(plugin as SpaAuth<unknown>, context as UseAuth<unknown>)
  return plugin
}

/**
 * The auth state and actions of the app: in a component's setup, a router guard, a Pinia
 * store or anything else run inside the app (`app.runWithContext`).
 */
export function useAuth<TUser = User>(): UseAuth<TUser> {
  const context = hasInjectionContext() ? inject(AUTH, null) : null
  if (!context) {
    throw new Error(
      'useAuth() found no auth plugin: call app.use(createSpaAuth({ baseURL })) first, and useAuth() ' +
        'inside a component setup, a router guard or a store',
    )
  }
  return context as UseAuth<TUser>
}

/** The context of a given plugin, outside any app (router set-up code, tests). */
export function authOf<TUser>(plugin: SpaAuth<TUser>): UseAuth<TUser> {
  const context = contexts.get(plugin as SpaAuth<unknown>)
  if (!context) throw new Error('not a plugin made by createSpaAuth()')
  return context as UseAuth<TUser>
}
