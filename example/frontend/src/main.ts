import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { createAppRouter, safeNext } from './router'
import { useSessionStore } from './stores/session'
import './style.css'

const app = createApp(App)
app.use(createPinia())
const session = useSessionStore()
session.start()
const router = createAppRouter()
// When the session ends (logout here or in another tab, revocation), go to the login page.
session.onSignedOut(() => {
  const here = router.currentRoute.value
  if (here.meta.requiresAuth) {
    void router.push({ name: 'login', query: here.fullPath === '/' ? {} : { next: here.fullPath } })
  }
})
// Logged in from another tab: leave the login page for where this tab was headed.
session.onSignedInElsewhere(() => {
  const here = router.currentRoute.value
  if (here.name === 'login') void router.replace(safeNext(here.query.next) ?? { name: 'home' })
})
app.use(router)
app.mount('#app')
