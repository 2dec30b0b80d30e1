/**
 * The session as the views read it: a thin Pinia layer over @spa-auth/vue's `useAuth()`,
 * adding what is this app's own (`isStaff`). The token, refresh, tab sync and sign-out all
 * live in the package; nothing here holds state of its own.
 */

import type { User } from '@spa-auth/client'
import { useAuth } from '@spa-auth/vue'
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'

export const useSessionStore = defineStore('session', () => {
  // Pinia runs this inside the app (app.runWithContext), where the auth plugin is provided.
  const auth = useAuth<User>()
  const isStaff = computed(() => auth.user.value?.is_staff === true)
  // The server marks a session whose password was found in known breaches; a new password
  // set from this tab answers it (the server's new session is unmarked) until the next login.
  const passwordChanged = ref(false)
  watch(auth.user, () => {
    passwordChanged.value = false
  })
  const passwordBreached = computed(() => auth.user.value?.password_breached === true && !passwordChanged.value)
  async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await auth.changePassword(oldPassword, newPassword)
    passwordChanged.value = true
  }
  return {
    user: auth.user,
    status: auth.status,
    /** Why the last session ended on its own (shown on the login page). */
    endedReason: auth.reason,
    isSignedIn: auth.isSignedIn,
    isStaff,
    /** This session logged in with a password found in known data breaches. */
    passwordBreached,
    login: auth.login,
    logout: auth.logout,
    logoutAll: auth.logoutAll,
    changePassword,
    sessions: auth.sessions,
    revokeSession: auth.revokeSession,
    devices: auth.devices,
    forgetDevice: auth.forgetDevice,
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
