import { describe, expect, it } from 'vitest'
import { describeDevice, formatWhen } from '../format'

describe('device names', () => {
  it.each([
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0 Safari/537.36', 'Chrome on Linux'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox on Windows'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1', 'Safari on iOS'],
    ['curl/8.4.0', 'API client'],
    ['', 'Unknown device'],
  ])('%s → %s', (agent, expected) => {
    expect(describeDevice(agent)).toBe(expected)
  })

  it('says how long ago in words', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    expect(formatWhen('2026-01-01T11:59:30Z', now)).toBe('just now')
    expect(formatWhen('2026-01-01T11:45:00Z', now)).toBe('15 min ago')
    expect(formatWhen('2026-01-01T09:00:00Z', now)).toBe('3 h ago')
  })
})
