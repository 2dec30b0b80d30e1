import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

const backend = process.env.BACKEND_URL ?? 'http://127.0.0.1:8000'

export default defineConfig(({ command }) => ({
  plugins: [vue()],
  // vue-i18n's build flags: the Composition API only (no legacy API), no devtools in production.
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  resolve: {
    // @spa-auth/* are linked folders (file: dependencies) with node_modules of their own for
    // their tests: one Vue, and one client, for the whole app, as an installed copy would have.
    dedupe: ['vue', '@spa-auth/client'],
  },
  // Built files are served by Django (WhiteNoise) under STATIC_URL=/static/.
  base: command === 'build' ? '/static/' : '/',
  server: {
    host: '127.0.0.1',
    // `make dev`: the API stays same-origin through the proxy, so no CORS is needed.
    proxy: { '/api': { target: backend, changeOrigin: false } },
  },
  build: { sourcemap: false },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
    setupFiles: ['src/__tests__/setup.ts'],
  },
}))
