import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { createAppRouter } from './router'
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
app.use(router)
app.mount('#app')
