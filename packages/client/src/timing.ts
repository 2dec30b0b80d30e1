/**
 * Time limits of the refresh path, all tied to the server's grace window.
 *
 * The server rotates the refresh cookie on every refresh and honours the previous one only
 * for `REFRESH_GRACE` (10 s by default) and only from the client that rotated it; presented
 * later, it counts as reuse and the server ends the whole session. A tab presents an old
 * cookie when another tab's (or its own) refresh rotated it but the answer has not arrived
 * yet, so no path may come near those 10 s. The longest one: a tab waits 3 s for another
 * tab's lock, goes ahead, its attempt times out (3 s) and its one retry after the lost
 * answer lands within another 3 s: 9 s after the other tab's rotation at the latest.
 */

/** The server's default `REFRESH_GRACE`, the budget every limit below is kept inside. */
export const SERVER_REFRESH_GRACE_MS = 10_000

/** How long a tab waits for another tab's refresh (the Web Lock) before going ahead. */
export const REFRESH_LOCK_WAIT_MS = 3_000

/** The timeout of one refresh request; other API calls keep the client's longer default. */
export const REFRESH_REQUEST_TIMEOUT_MS = 3_000
