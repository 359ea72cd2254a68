/**
 * The work a listener does once it has acknowledged (the decision, the card, the answer): a few at a
 * time, the rest waiting in arrival order. Slack wants every request acknowledged within 3 s, and a new
 * request is acknowledged only when the event loop gets to it. With twenty clicks' decisions running at
 * once, every turn of the loop carried twenty chains of Redis, COS and Slack callbacks ahead of it; a few
 * at a time keep the turns short, so acknowledgements stay quick however many clicks arrive, while the
 * decisions themselves take about as long in total. Work is never dropped: beyond `maxWaiting` it simply
 * starts at once.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
export interface AfterAckOptions {
  /** Pieces of work running at once (default 4: enough to overlap their I/O). */
  concurrency?: number;
  /** Pieces waiting before more are started at once regardless (default 1,000). */
  maxWaiting?: number;
}

export class AfterAckQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly maxWaiting: number;

  constructor(options: AfterAckOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxWaiting = options.maxWaiting ?? 1_000;
  }

  /** Work waiting for its turn (for metrics and tests). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Work running now. */
  get runningCount(): number {
    return this.running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency || this.waiting.length >= this.maxWaiting) {
      this.running += 1;
    } else {
      // The slot is handed over by the work that ends (running is not decremented in between).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      // One turn of the event loop first: requests that arrived meanwhile are read and acknowledged
      // before the next piece of work starts (the handover itself would run it at once).
      await nextTurn();
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
