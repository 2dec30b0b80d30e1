import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRefresher, type RefresherOptions } from '../refresher.js'
import { REFRESH_LOCK_WAIT_MS, REFRESH_REQUEST_TIMEOUT_MS, SERVER_REFRESH_GRACE_MS } from '../timing.js'
import { createTokenStore, type AccessToken } from '../tokens.js'

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

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((settle) => {
    resolve = settle
  })
  return { promise, resolve }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

let tokens = createTokenStore()
const getAccessToken = () => tokens.get()
const setAccessToken = (next: AccessToken | null) => tokens.set(next)

/** A refresher on this test's token store. */
function createRefresherHere(options: Omit<RefresherOptions, 'tokens'>) {
  return createRefresher({ tokens, ...options })
}

describe('refresher', () => {
  beforeEach(() => {
    tokens = createTokenStore()
  })
  afterEach(() => vi.restoreAllMocks())

  it('stores the new token in memory and tells the other tabs', async () => {
    const onRefreshed = vi.fn()
    const { refresh } = createRefresherHere({ requestRefresh: async () => fresh('n1'), onRefreshed, locks: null })
    await refresh()
    expect(getAccessToken()?.token).toBe('n1')
    expect(onRefreshed).toHaveBeenCalledWith(expect.objectContaining({ token: 'n1' }))
  })

  it('takes turns under the cross-tab lock and reuses a token another tab just brought', async () => {
    const locks = serialLocks()
    const requestRefresh = vi.fn(async () => fresh('from-server'))
    const { refresh } = createRefresherHere({ requestRefresh, locks })
    // Another tab holds the lock and, while this tab waits, shares its new token.
    let release!: () => void
    void locks.request('spa-auth-refresh', {}, () => new Promise<void>((resolve) => { release = resolve }))
    const pending = refresh()
    await tick()
    setAccessToken(fresh('from-other-tab'))
    release()
    expect((await pending).token).toBe('from-other-tab')
    expect(requestRefresh).not.toHaveBeenCalled()
  })

  it('waits at most 3 s for another tab, so a tab going ahead is still inside the 10 s grace', async () => {
    const timeout = vi.spyOn(AbortSignal, 'timeout')
    const { refresh } = createRefresherHere({ requestRefresh: async () => fresh('n'), locks: serialLocks() })
    await refresh()
    expect(timeout).toHaveBeenCalledWith(3_000)
    // The longest path, the lock wait, an attempt that times out and its one retry, ends
    // inside the window.
    expect(REFRESH_LOCK_WAIT_MS + 2 * REFRESH_REQUEST_TIMEOUT_MS).toBeLessThan(
      SERVER_REFRESH_GRACE_MS,
    )
  })

  it('goes ahead without the lock when it times out, so a stuck tab blocks nobody', async () => {
    const locks = {
      request: vi.fn(() => Promise.reject(new DOMException('timed out', 'TimeoutError'))),
    } as unknown as Pick<LockManager, 'request'>
    const requestRefresh = vi.fn(async () => fresh('n2'))
    const { refresh } = createRefresherHere({ requestRefresh, locks })
    expect((await refresh()).token).toBe('n2')
  })

  it('lets a failed refresh reject every waiting caller and then tries again next time', async () => {
    const requestRefresh = vi.fn().mockRejectedValueOnce(new Error('401')).mockResolvedValue(fresh('n3'))
    const { refresh } = createRefresherHere({ requestRefresh, locks: null })
    const results = await Promise.allSettled([refresh(), refresh()])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(requestRefresh).toHaveBeenCalledTimes(1)
    expect((await refresh()).token).toBe('n3')
  })

  it('changes the session only once no refresh is in flight, and shares its new token', async () => {
    const answer = deferred<AccessToken>()
    const onRefreshed = vi.fn()
    const refresher = createRefresherHere({ requestRefresh: () => answer.promise, onRefreshed, locks: serialLocks() })
    const changePassword = vi.fn(async () => fresh('new-session'))
    const refreshing = refresher.refresh()
    const changing = refresher.replaceSession(changePassword)
    await tick()
    expect(changePassword).not.toHaveBeenCalled() // the refresh still holds the old cookie
    answer.resolve(fresh('refreshed'))
    await refreshing
    expect((await changing)?.token).toBe('new-session')
    expect(getAccessToken()?.token).toBe('new-session')
    expect(onRefreshed).toHaveBeenLastCalledWith(expect.objectContaining({ token: 'new-session' }))
  })

  it('makes a refresh wait for a session change and reuse its new token', async () => {
    setAccessToken(fresh('old-session'))
    const answer = deferred<AccessToken>()
    const requestRefresh = vi.fn(async () => fresh('from-server'))
    const refresher = createRefresherHere({ requestRefresh, locks: serialLocks() })
    const changing = refresher.replaceSession(() => answer.promise)
    const refreshing = refresher.refresh()
    answer.resolve(fresh('new-session'))
    await changing
    expect((await refreshing).token).toBe('new-session')
    expect(requestRefresh).not.toHaveBeenCalled()
  })

  it('keeps the current token when the session change brings none', async () => {
    setAccessToken(fresh('kept'))
    const onRefreshed = vi.fn()
    const refresher = createRefresherHere({ requestRefresh: async () => fresh('x'), onRefreshed, locks: serialLocks() })
    expect(await refresher.replaceSession(async () => null)).toBeNull()
    expect(getAccessToken()?.token).toBe('kept')
    expect(onRefreshed).not.toHaveBeenCalled()
  })
})

describe('refresher and the lock', () => {
  it('does not go ahead a second time when the refresh itself times out inside the lock', async () => {
    const tokens = createTokenStore()
    const timedOut = new DOMException('no answer', 'TimeoutError')
    const requestRefresh = vi.fn(() => Promise.reject(timedOut))
    const { refresh } = createRefresher({ tokens, requestRefresh, locks: serialLocks() })
    await expect(refresh()).rejects.toBe(timedOut)
    expect(requestRefresh).toHaveBeenCalledTimes(1)
  })
})
