/** Routes, lazy-loaded, behind @spa-auth/vue's guard, which waits for the start-up restore. */

import type { User } from '@spa-auth/client'
import { installAuthGuard, type SpaAuth } from '@spa-auth/vue'
import { createRouter, createWebHistory, type Router } from 'vue-router'
import { i18n } from '../i18n'
import type { Messages } from '../locales/en'

export type RouteName =
  | 'home'
  | 'login'
  | 'signup'
  | 'verify-email'
  | 'forgot-password'
  | 'reset-password'
  | 'confirm-email'
  | 'sessions'
  | 'password'
  | 'account'
  | 'security'
  | 'enrol-factor'
  | 'users'
  | 'not-found'

declare module 'vue-router' {
  interface RouteMeta {
    requiresAuth?: boolean
    /** The page's title, a key of the catalogs' `titles`. */
    title?: keyof Messages['titles']
  }
}

export function createAppRouter(auth: SpaAuth<User>): Router {
  const router = createRouter({
    // '/' and not import.meta.env.BASE_URL, which is '/static/' in the build.
    history: createWebHistory('/'),
    routes: [
      { path: '/', name: 'home', component: () => import('../views/HomeView.vue'), meta: { requiresAuth: true, title: 'home' } },
      { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { title: 'login' } },
      // Public: reachable signed out (the mailed links land on the last three).
      { path: '/signup', name: 'signup', component: () => import('../views/SignupView.vue'), meta: { title: 'signup' } },
      { path: '/verify-email', name: 'verify-email', component: () => import('../views/VerifyEmailView.vue'), meta: { title: 'verifyEmail' } },
      { path: '/forgot-password', name: 'forgot-password', component: () => import('../views/ForgotPasswordView.vue'), meta: { title: 'forgotPassword' } },
      { path: '/reset-password', name: 'reset-password', component: () => import('../views/ResetPasswordView.vue'), meta: { title: 'resetPassword' } },
      { path: '/confirm-email', name: 'confirm-email', component: () => import('../views/ConfirmEmailView.vue'), meta: { title: 'confirmEmail' } },
      { path: '/account', name: 'account', component: () => import('../views/AccountView.vue'), meta: { requiresAuth: true, title: 'account' } },
      { path: '/security', name: 'security', component: () => import('../views/SecurityView.vue'), meta: { requiresAuth: true, title: 'security' } },
      { path: '/enrol-factor', name: 'enrol-factor', component: () => import('../views/EnrolFactorView.vue'), meta: { requiresAuth: true, title: 'enrolFactor' } },
      { path: '/sessions', name: 'sessions', component: () => import('../views/SessionsView.vue'), meta: { requiresAuth: true, title: 'sessions' } },
      { path: '/password', name: 'password', component: () => import('../views/PasswordView.vue'), meta: { requiresAuth: true, title: 'password' } },
      { path: '/users', name: 'users', component: () => import('../views/UsersView.vue'), meta: { requiresAuth: true, title: 'users' } },
      { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { title: 'notFound' } },
    ],
  })
  // Visitors of protected routes go to login (with `next`); when the session ends here or in
  // another tab the page goes to login too, and a login in another tab leaves the login page.
  installAuthGuard(router, { auth, loginRoute: 'login' satisfies RouteName, homeRoute: 'home' satisfies RouteName })
  router.afterEach((to) => {
    document.title = to.meta.title ? `${i18n.global.t(`titles.${to.meta.title}`)} · spa-auth` : 'spa-auth'
  })
  return router
}
