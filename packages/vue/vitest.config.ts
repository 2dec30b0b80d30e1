import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // A DOM to mount apps in, and the browser globals the client uses.
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
  },
})
