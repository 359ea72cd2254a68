import type { Reply, SlackFault } from './types.js';
import { ok200 } from './wire.js';

/** Injected failures per method: platform errors, 429 rate limits with Retry-After, and 500s. */

export class SlackFaultQueue {
  readonly #queues = new Map<string, SlackFault[]>();

  /** The next `times` calls to `method` fail this way. */
  add(method: string, fault: SlackFault, times: number): void {
    const queue = this.#queues.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.#queues.set(method, queue);
  }

  /** The fault for this call to `method`, if one is queued (it is used up). */
  take(method: string): SlackFault | undefined {
    return this.#queues.get(method)?.shift();
  }
}

/** A 500 that comes after the call was served: the caller cannot know whether it took effect. */
export function isAfterEffect(fault: SlackFault): boolean {
  return 'status' in fault && fault.status === 500 && fault.afterEffect === true;
}

export function faultReply(fault: SlackFault): Reply {
  if ('error' in fault) return ok200({ ok: false, error: fault.error });
  if (fault.status === 429) {
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(fault.retryAfterSec) },
    };
  }
  return { status: 500, body: { ok: false, error: 'internal_error' } };
}
