import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

const backend = process.env.BACKEND_URL ?? 'http://127.0.0.1:8000'

export default defineConfig(({ command }) => ({
  plugins: [vue()],
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
  },
}))
