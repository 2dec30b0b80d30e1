/**
 * One call a page makes on the user's behalf (a form's submit, a link's key): `pending` while
 * it runs, and its failure as an `ApiError` in `error`, cleared when the next run starts. The
 * page keeps only what is its own: what to do on success, and which fields to empty.
 */

import { toApiError, type ApiError } from '@spa-auth/client'
import { ref } from 'vue'

export function useAction<Args extends unknown[]>(call: (...args: Args) => Promise<unknown>) {
  const pending = ref(false)
  const error = ref<ApiError | null>(null)

  /** Resolves to whether the call succeeded; a failure is in `error`, never thrown. */
  async function run(...args: Args): Promise<boolean> {
    pending.value = true
    error.value = null
    try {
      await call(...args)
      return true
    } catch (caught) {
      error.value = toApiError(caught)
      return false
    } finally {
      pending.value = false
    }
  }

  return { pending, error, run }
}
