import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // document.cookie, BroadcastChannel and visibility events, as in a browser tab.
    environment: 'jsdom',
    include: ['src/**/*.spec.ts'],
  },
})
