import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createRefresher } from '../auth/refresher'
import { getAccessToken, setAccessToken, type AccessToken } from '../auth/tokens'

const fresh = (token: string): AccessToken => ({ token, expiresAt: Date.now() + 300_000 })

/** A Web Locks stand-in that runs callbacks one at a time, like the browser's. */
function serialLocks() {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    request: vi.fn((_name: string, _options: unknown, callback: () => Promise<unknown>) => {
      const run = tail.then(callback)
      tail = run.catch(() => undefined)
      return run
    }),
  } as unknown as Pick<LockManager, 'request'>
}

describe('refresher', () => {
  beforeEach(() => setAccessToken(null))

  it('stores the new token in memory and tells the other tabs', async () => {
    const onRefreshed = vi.fn()
    const refresh = createRefresher({ requestRefresh: async () => fresh('n1'), onRefreshed, locks: null })
    await refresh()
    expect(getAccessToken()?.token).toBe('n1')
    expect(onRefreshed).toHaveBeenCalledWith(expect.objectContaining({ token: 'n1' }))
  })

  it('takes turns under the cross-tab lock and reuses a token another tab just brought', async () => {
    const locks = serialLocks()
    const requestRefresh = vi.fn(async () => fresh('from-server'))
    const refresh = createRefresher({ requestRefresh, locks })
    // Another tab holds the lock and, while this tab waits, shares its new token.
    let release!: () => void
    void locks.request('spa-auth-refresh', {}, () => new Promise<void>((resolve) => { release = resolve }))
    const pending = refresh()
    await new Promise((resolve) => setTimeout(resolve, 0))
    setAccessToken(fresh('from-other-tab'))
    release()
    expect((await pending).token).toBe('from-other-tab')
    expect(requestRefresh).not.toHaveBeenCalled()
  })

  it('goes ahead without the lock when it times out, so a stuck tab blocks nobody', async () => {
    const locks = {
      request: vi.fn(() => Promise.reject(new DOMException('timed out', 'TimeoutError'))),
    } as unknown as Pick<LockManager, 'request'>
    const requestRefresh = vi.fn(async () => fresh('n2'))
    const refresh = createRefresher({ requestRefresh, locks })
    expect((await refresh()).token).toBe('n2')
  })

  it('lets a failed refresh reject every waiting caller and then tries again next time', async () => {
    const requestRefresh = vi.fn().mockRejectedValueOnce(new Error('401')).mockResolvedValue(fresh('n3'))
    const refresh = createRefresher({ requestRefresh, locks: null })
    const results = await Promise.allSettled([refresh(), refresh()])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(requestRefresh).toHaveBeenCalledTimes(1)
    expect((await refresh()).token).toBe('n3')
  })
})
