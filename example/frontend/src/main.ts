import type { User } from '@spa-auth/client'
import { createSpaAuth } from '@spa-auth/vue'
import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { API_BASE_URL, http } from './api/http'
import { chooseLocale, i18n, setLocale } from './i18n'
import { askToReauthenticate } from './reauth'
import { createAppRouter } from './router'
import './style.css'

// One auth client for the app: tokens in memory, refresh across tabs, restore on load. A
// step-up 401 opens the "Confirm it's you" dialog; once confirmed, the request goes on. The
// server's messages (a password validator's) come in the app's language, not in the one
// Django would read from the browser's own Accept-Language.
const auth = createSpaAuth<User>({
  baseURL: API_BASE_URL,
  language: () => i18n.global.locale.value,
  onReauthenticationRequired: askToReauthenticate,
})
auth.client.installInterceptors(http)

setLocale(chooseLocale(navigator.languages))

const app = createApp(App)
app.use(i18n)
app.use(createPinia())
app.use(auth)
app.use(createAppRouter(auth))
app.mount('#app')
