/**
 * One COS call's deadline: an AbortSignal that aborts with a TimeoutError DOMException (the reason
 * AbortSignal.timeout gives) once the time is up, and a clear() the call runs when it ends.
 *
 * Why not AbortSignal.timeout: its timer cannot be cleared, so it stays scheduled after the call ended,
 * tied to the signal through a WeakRef and a FinalizationRegistry; one per request cost 14–15 µs of CPU
 * against 4–5 µs for a controller and a timer cleared at the end (100,000 of each in one process, Node 20,
 * 2-core machine).
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer: the call is over, whatever its outcome. */
  clear(): void;
}

export function startDeadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  // Like AbortSignal.timeout's timer: a pending deadline alone never keeps the process alive.
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
