/**
 * The wait a throttled answer asks for (`Retry-After`): the seconds left, ticking down once
 * a second, and `done` called when they run out. Stopped with the component.
 */

import { computed, onBeforeUnmount, ref } from 'vue'

export function useCountdown(done: () => void) {
  const seconds = ref(0)
  let timer: ReturnType<typeof setInterval> | null = null

  function stop(): void {
    if (timer) clearInterval(timer)
    timer = null
  }

  function start(total: number): void {
    seconds.value = total
    stop()
    timer = setInterval(() => {
      seconds.value -= 1
      if (seconds.value <= 0) {
        stop()
        done()
      }
    }, 1000)
  }

  onBeforeUnmount(stop)
  return { seconds, waiting: computed(() => seconds.value > 0), start }
}
