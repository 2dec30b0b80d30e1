/** Routes, lazy-loaded, behind guards that wait for the start-up restore. */

import { createRouter, createWebHistory, type RouteLocationRaw, type Router } from 'vue-router'
import { useSessionStore } from '../stores/session'

export type RouteName = 'home' | 'login' | 'sessions' | 'password' | 'users' | 'not-found'

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean
    title?: string
  }
}

export function createAppRouter(): Router {
  const router = createRouter({
    // '/' and not import.meta.env.BASE_URL, which is '/static/' in the build.
    history: createWebHistory('/'),
    routes: [
      { path: '/', name: 'home', component: () => import('../views/HomeView.vue'), meta: { requiresAuth: true, title: 'Home' } },
      { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { title: 'Log in' } },
      { path: '/sessions', name: 'sessions', component: () => import('../views/SessionsView.vue'), meta: { requiresAuth: true, title: 'Sessions' } },
      { path: '/password', name: 'password', component: () => import('../views/PasswordView.vue'), meta: { requiresAuth: true, title: 'Password' } },
      { path: '/users', name: 'users', component: () => import('../views/UsersView.vue'), meta: { requiresAuth: true, title: 'Users' } },
      { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { title: 'Not found' } },
    ],
  })
  installGuards(router)
  return router
}

/** Only same-app paths are accepted as `next`, never another origin. */
export function safeNext(value: unknown): string | null {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') ? value : null
}

export function installGuards(router: Router): void {
  router.beforeEach(async (to): Promise<RouteLocationRaw | true> => {
    const session = useSessionStore()
    await session.restore()
    if (to.meta.requiresAuth && !session.isSignedIn) {
      return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
    }
    if (to.name === 'login' && session.isSignedIn) {
      return safeNext(to.query.next) ?? { name: 'home' }
    }
    return true
  })
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · spa-auth` : 'spa-auth'
  })
}
