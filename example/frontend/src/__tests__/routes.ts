/** Stand-in routes for the named links the account pages render, for views mounted alone. */

import { defineComponent, h } from 'vue'
import type { RouteRecordRaw } from 'vue-router'

const Blank = defineComponent({ render: () => h('div') })

export function routesWith(path: string, component: unknown): RouteRecordRaw[] {
  const names = ['login', 'signup', 'forgot-password', 'reset-password', 'verify-email', 'confirm-email', 'account', 'home']
  const own = { path, component: component as typeof Blank }
  return [
    { ...own, name: names.find((name) => `/${name}` === path) ?? 'page' },
    ...names.filter((name) => `/${name}` !== path).map((name) => ({ path: `/${name}`, name, component: Blank })),
  ]
}
