import { createAuthClient, type AuthClient } from '@spa-auth/client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createApp, defineComponent, h, type App } from 'vue'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { createAuthGuard, createSpaAuth, installAuthGuard, safeNext } from '../index.js'
import { fakeFetch, flush } from './helpers.js'

const Page = defineComponent({ render: () => h('main') })
let apps: App[] = []
let clients: AuthClient[] = []

function makeRouter(): Router {
  return createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', name: 'home', component: Page, meta: { requiresAuth: true } },
      { path: '/login', name: 'login', component: Page },
      { path: '/sessions', name: 'sessions', component: Page, meta: { requiresAuth: true } },
      { path: '/about', name: 'about', component: Page },
    ],
  })
}

/** An app with the auth plugin and a router; the guard found through the app. */
function appAt(signedIn: boolean, guard: (router: Router) => void = (router) => installAuthGuard(router, { loginRoute: 'login', homeRoute: 'home' })) {
  const auth = createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(undefined, signedIn), channelName: 'guard-tabs' })
  const router = makeRouter()
  guard(router)
  const app = createApp(defineComponent({ render: () => h('div') }))
  app.use(auth)
  app.use(router)
  app.mount(document.createElement('div'))
  apps.push(app)
  return { auth, router }
}

describe('route guards', () => {
  beforeEach(() => {
    document.cookie = 'csrftoken=abc'
  })
  afterEach(() => {
    apps.forEach((app) => app.unmount())
    clients.forEach((client) => client.dispose())
    apps = []
    clients = []
  })

  it('waits for the start-up restore, then sends visitors to login with next', async () => {
    const { router } = appAt(false)
    await router.push('/sessions')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/sessions')
  })

  it('adds no next for the home page, and lets anyone see public pages', async () => {
    const { router } = appAt(false)
    await router.push('/')
    expect(router.currentRoute.value.fullPath).toBe('/login')
    await router.push('/about')
    expect(router.currentRoute.value.name).toBe('about')
  })

  it('lets a signed-in user through and away from the login page', async () => {
    const { router } = appAt(true)
    await router.push('/sessions')
    expect(router.currentRoute.value.name).toBe('sessions')
    await router.push('/login?next=/about')
    expect(router.currentRoute.value.name).toBe('about')
    await router.push('/login?next=//evil.example')
    expect(router.currentRoute.value.name).toBe('home')
  })

  it('works as a plain beforeEach guard, with the plugin given', async () => {
    const auth = createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(undefined, false), channelName: null })
    const router = makeRouter()
    router.beforeEach(createAuthGuard({ loginRoute: 'login', auth }))
    await router.push('/sessions') // no app at all: the plugin was given
    expect(router.currentRoute.value.fullPath).toBe('/login?next=/sessions')
    auth.client.dispose()
  })

  it('takes its own rule for which routes need a user', async () => {
    const { router } = appAt(false, (r) => {
      r.beforeEach(createAuthGuard({ loginRoute: 'login', requiresAuth: (to) => to.name === 'about' }))
    })
    await router.push('/sessions')
    expect(router.currentRoute.value.name).toBe('sessions')
    await router.push('/about')
    expect(router.currentRoute.value.name).toBe('login')
  })

  it('sends a protected page to login when the session ends, keeping where it was', async () => {
    const { auth, router } = appAt(true)
    await router.push('/sessions')
    await auth.client.logout()
    await flush()
    expect(router.currentRoute.value.fullPath).toBe('/login?next=/sessions')
  })

  it('leaves the login page when another tab logs in', async () => {
    const { router } = appAt(false)
    await router.push('/login?next=/sessions')
    const otherTab = createAuthClient({ baseURL: '/api/v1/', fetch: fakeFetch(), channelName: 'guard-tabs' })
    clients.push(otherTab)
    await otherTab.login('alice', 'pw')
    await flush()
    expect(router.currentRoute.value.name).toBe('sessions')
  })

  it('can be removed again', async () => {
    const auth = createSpaAuth({ baseURL: '/api/v1/', fetch: fakeFetch(undefined, false), channelName: null })
    const router = makeRouter()
    const remove = installAuthGuard(router, { loginRoute: 'login', auth })
    remove()
    await router.push('/sessions')
    expect(router.currentRoute.value.name).toBe('sessions')
    auth.client.dispose()
  })

  it('accepts only same-app paths as next', () => {
    expect(safeNext('/users?offset=20')).toBe('/users?offset=20')
    expect(safeNext('//evil.example')).toBeNull()
    expect(safeNext('/\\evil.example')).toBeNull()
    expect(safeNext('/\tevil')).toBeNull()
    expect(safeNext('https://evil.example')).toBeNull()
    expect(safeNext(undefined)).toBeNull()
  })
})
