/**
 * The session as the views read it: a thin Pinia layer over @spa-auth/vue's `useAuth()`,
 * adding what is this app's own (`isStaff`). The token, refresh, tab sync and sign-out all
 * live in the package; nothing here holds state of its own.
 */

import type { User } from '@spa-auth/client'
import { useAuth } from '@spa-auth/vue'
import { defineStore } from 'pinia'
import { computed } from 'vue'

export const useSessionStore = defineStore('session', () => {
  // Pinia runs this inside the app (app.runWithContext), where the auth plugin is provided.
  const auth = useAuth<User>()
  const isStaff = computed(() => auth.user.value?.is_staff === true)
  return {
    user: auth.user,
    status: auth.status,
    /** Why the last session ended on its own (shown on the login page). */
    endedReason: auth.reason,
    isSignedIn: auth.isSignedIn,
    isStaff,
    login: auth.login,
    logout: auth.logout,
    logoutAll: auth.logoutAll,
    changePassword: auth.changePassword,
    sessions: auth.sessions,
    revokeSession: auth.revokeSession,
    // The account pages: sign-up, the mailed links' keys, the email change and deletion.
    register: auth.register,
    verifyEmail: auth.verifyEmail,
    resendVerification: auth.resendVerification,
    requestPasswordReset: auth.requestPasswordReset,
    confirmPasswordReset: auth.confirmPasswordReset,
    requestEmailChange: auth.requestEmailChange,
    confirmEmailChange: auth.confirmEmailChange,
    account: auth.account,
    deleteAccount: auth.deleteAccount,
    // Multi-factor authentication: the login's second step, passkeys, the factors, step-up.
    completeMfa: auth.completeMfa,
    completeMfaWithPasskey: auth.completeMfaWithPasskey,
    loginWithPasskey: auth.loginWithPasskey,
    mfaStatus: auth.mfaStatus,
    startTotpSetup: auth.startTotpSetup,
    confirmTotp: auth.confirmTotp,
    disableTotp: auth.disableTotp,
    regenerateRecoveryCodes: auth.regenerateRecoveryCodes,
    addPasskey: auth.addPasskey,
    renamePasskey: auth.renamePasskey,
    removePasskey: auth.removePasskey,
    reauthenticate: auth.reauthenticate,
    requestFactorEnrolment: auth.requestFactorEnrolment,
    confirmFactorEnrolment: auth.confirmFactorEnrolment,
    // Sign-in with a provider: the buttons, the way back, the connected identities, step-up.
    providers: auth.providers,
    loginWithProvider: auth.loginWithProvider,
    providerResult: auth.providerResult,
    connectProvider: auth.connectProvider,
    reauthenticateWithProvider: auth.reauthenticateWithProvider,
    identities: auth.identities,
    disconnectProvider: auth.disconnectProvider,
    // Sign-in with a mailed code.
    requestLoginCode: auth.requestLoginCode,
    loginWithCode: auth.loginWithCode,
  }
})
