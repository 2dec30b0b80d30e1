/** Routes, lazy-loaded, behind @spa-auth/vue's guard, which waits for the start-up restore. */

import type { User } from '@spa-auth/client'
import { installAuthGuard, type SpaAuth } from '@spa-auth/vue'
import { createRouter, createWebHistory, type Router } from 'vue-router'

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
    title?: string
  }
}

export function createAppRouter(auth: SpaAuth<User>): Router {
  const router = createRouter({
    // '/' and not import.meta.env.BASE_URL, which is '/static/' in the build.
    history: createWebHistory('/'),
    routes: [
      { path: '/', name: 'home', component: () => import('../views/HomeView.vue'), meta: { requiresAuth: true, title: 'Home' } },
      { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { title: 'Log in' } },
      // Public: reachable signed out (the mailed links land on the last three).
      { path: '/signup', name: 'signup', component: () => import('../views/SignupView.vue'), meta: { title: 'Sign up' } },
      { path: '/verify-email', name: 'verify-email', component: () => import('../views/VerifyEmailView.vue'), meta: { title: 'Verify email' } },
      { path: '/forgot-password', name: 'forgot-password', component: () => import('../views/ForgotPasswordView.vue'), meta: { title: 'Forgot password' } },
      { path: '/reset-password', name: 'reset-password', component: () => import('../views/ResetPasswordView.vue'), meta: { title: 'Reset password' } },
      { path: '/confirm-email', name: 'confirm-email', component: () => import('../views/ConfirmEmailView.vue'), meta: { title: 'Confirm email change' } },
      { path: '/account', name: 'account', component: () => import('../views/AccountView.vue'), meta: { requiresAuth: true, title: 'Account' } },
      { path: '/security', name: 'security', component: () => import('../views/SecurityView.vue'), meta: { requiresAuth: true, title: 'Security' } },
      { path: '/enrol-factor', name: 'enrol-factor', component: () => import('../views/EnrolFactorView.vue'), meta: { requiresAuth: true, title: 'Set up a second factor' } },
      { path: '/sessions', name: 'sessions', component: () => import('../views/SessionsView.vue'), meta: { requiresAuth: true, title: 'Sessions' } },
      { path: '/password', name: 'password', component: () => import('../views/PasswordView.vue'), meta: { requiresAuth: true, title: 'Password' } },
      { path: '/users', name: 'users', component: () => import('../views/UsersView.vue'), meta: { requiresAuth: true, title: 'Users' } },
      { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { title: 'Not found' } },
    ],
  })
  // Visitors of protected routes go to login (with `next`); when the session ends here or in
  // another tab the page goes to login too, and a login in another tab leaves the login page.
  installAuthGuard(router, { auth, loginRoute: 'login' satisfies RouteName, homeRoute: 'home' satisfies RouteName })
  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · spa-auth` : 'spa-auth'
  })
  return router
}
