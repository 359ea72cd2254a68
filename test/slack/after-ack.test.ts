/**
 * The queue listeners run their work through after acknowledging: a few pieces at once, the rest in
 * arrival order, a slot handed from the piece that ends to the next; past `maxWaiting` work starts at
 * once. Every piece is a promise this test resolves or rejects by hand, so what runs when is decided here,
 * never by a clock.
 */
import { describe, expect, it } from 'vitest';
import { AfterAckQueue } from '../../src/slack/listeners/after-ack.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Lets every pending promise callback run, and the turn of the event loop a handed-over piece waits for
 * before it starts (the queue hands slots over in promise callbacks, then yields once to I/O).
 */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Work pieces named by index, each running until the test ends it; records starts and the peak. */
class Pieces {
  readonly started: number[] = [];
  readonly gates = new Map<number, Deferred<string>>();
  running = 0;
  peak = 0;

  constructor(private readonly queue: AfterAckQueue) {}

  /** Queues piece `index`; the returned promise is what its caller (the listener) awaits. */
  submit(index: number): Promise<string> {
    return this.queue.run(async () => {
      this.started.push(index);
      this.running += 1;
      this.peak = Math.max(this.peak, this.running);
      const gate = deferred<string>();
      this.gates.set(index, gate);
      try {
        return await gate.promise;
      } finally {
        this.running -= 1;
      }
    });
  }

  finish(index: number): void {
    this.gate(index).resolve(`done ${index}`);
  }

  fail(index: number, error: Error): void {
    this.gate(index).reject(error);
  }

  private gate(index: number): Deferred<string> {
    const gate = this.gates.get(index);
    if (!gate) throw new Error(`piece ${index} has not started`);
    return gate;
  }
}

describe('AfterAckQueue', () => {
  it('never runs more than `concurrency` pieces at once; an ending piece hands its slot to a waiting one', async () => {
    const queue = new AfterAckQueue({ concurrency: 2 });
    const pieces = new Pieces(queue);
    const results = [0, 1, 2, 3, 4].map((i) => pieces.submit(i));
    await settle();
    expect(pieces.started).toEqual([0, 1]);
    expect(queue.runningCount).toBe(2);
    expect(queue.waitingCount).toBe(3);

    pieces.finish(1);
    await settle();
    expect(pieces.started).toEqual([0, 1, 2]);
    expect(pieces.running).toBe(2);
    expect(queue.runningCount).toBe(2);
    expect(queue.waitingCount).toBe(2);

    pieces.finish(0);
    pieces.finish(2);
    await settle();
    expect(pieces.started).toEqual([0, 1, 2, 3, 4]);
    expect(queue.waitingCount).toBe(0);
    pieces.finish(3);
    pieces.finish(4);
    expect(await Promise.all(results)).toEqual(['done 0', 'done 1', 'done 2', 'done 3', 'done 4']);
    expect(pieces.peak).toBe(2);
    expect(queue.runningCount).toBe(0);
  });

  it('starts waiting pieces in arrival order, whichever running piece ends first', async () => {
    const queue = new AfterAckQueue({ concurrency: 2 });
    const pieces = new Pieces(queue);
    const results = [0, 1, 2, 3, 4, 5].map((i) => pieces.submit(i));
    await settle();
    // The second running piece ends first, then the newest running one, then the oldest.
    for (const index of [1, 2, 0, 3, 5, 4]) {
      pieces.finish(index);
      await settle();
    }
    await Promise.all(results);
    expect(pieces.started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pieces.peak).toBe(2);
  });

  it('a failing piece rejects only its own caller and frees its slot for the next', async () => {
    const queue = new AfterAckQueue({ concurrency: 1 });
    const pieces = new Pieces(queue);
    const first = pieces.submit(0);
    const second = pieces.submit(1);
    const third = pieces.submit(2);
    await settle();
    expect(pieces.started).toEqual([0]);

    const failure = new Error('COS said no');
    pieces.fail(0, failure);
    await expect(first).rejects.toBe(failure);
    await settle();
    expect(pieces.started).toEqual([0, 1]);
    expect(queue.runningCount).toBe(1);

    pieces.finish(1);
    await expect(second).resolves.toBe('done 1');
    await settle();
    pieces.finish(2);
    await expect(third).resolves.toBe('done 2');
    expect(queue.runningCount).toBe(0);
    expect(queue.waitingCount).toBe(0);
  });

  it('a piece that throws before awaiting anything frees its slot too', async () => {
    const queue = new AfterAckQueue({ concurrency: 1 });
    const thrown = new Error('bad payload');
    const failing = queue.run(() => {
      throw thrown;
    });
    let ran = false;
    const after = queue.run(async () => {
      ran = true;
      return 'after';
    });
    await expect(failing).rejects.toBe(thrown);
    await settle();
    expect(ran).toBe(true);
    await expect(after).resolves.toBe('after');
    expect(queue.runningCount).toBe(0);
  });

  it('beyond `maxWaiting` waiting pieces, a new piece starts at once instead of being dropped', async () => {
    const queue = new AfterAckQueue({ concurrency: 1, maxWaiting: 2 });
    const pieces = new Pieces(queue);
    const results = [0, 1, 2].map((i) => pieces.submit(i));
    await settle();
    expect(pieces.started).toEqual([0]);
    expect(queue.waitingCount).toBe(2);

    // The queue is full: these two run beside piece 0 at once; 1 and 2 still wait their turn.
    results.push(pieces.submit(3), pieces.submit(4));
    await settle();
    expect(pieces.started).toEqual([0, 3, 4]);
    expect(queue.runningCount).toBe(3);
    expect(queue.waitingCount).toBe(2);

    // Ending pieces hand their slots to the waiting ones, in order; the count comes back to zero.
    pieces.finish(3);
    await settle();
    expect(pieces.started).toEqual([0, 3, 4, 1]);
    pieces.finish(4);
    await settle();
    expect(pieces.started).toEqual([0, 3, 4, 1, 2]);
    expect(queue.waitingCount).toBe(0);
    for (const index of [0, 1, 2]) pieces.finish(index);
    expect(await Promise.all(results)).toEqual(['done 0', 'done 1', 'done 2', 'done 3', 'done 4']);
    expect(queue.runningCount).toBe(0);
  });

  it('runs every piece of a storm exactly once, in whatever order they end, and leaves nothing behind', async () => {
    const queue = new AfterAckQueue({ concurrency: 3, maxWaiting: 20 });
    const pieces = new Pieces(queue);
    const count = 60;
    // Each caller's outcome is taken as it comes, as a listener awaits its own piece.
    const outcomes = Promise.allSettled(Array.from({ length: count }, (_, i) => pieces.submit(i)));
    await settle();
    // A fixed shuffle: the running pieces end out of order; every third one fails.
    let step = 0;
    while (pieces.gates.size > 0) {
      const running = [...pieces.gates.keys()];
      const index = running[(step * 7) % running.length]!;
      if (index % 3 === 0) pieces.fail(index, new Error(`piece ${index} failed`));
      else pieces.finish(index);
      pieces.gates.delete(index);
      step += 1;
      await settle();
    }
    const settled = await outcomes;
    expect(pieces.started).toHaveLength(count);
    expect([...pieces.started].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    settled.forEach((outcome, i) => {
      if (i % 3 === 0) expect(outcome).toMatchObject({ status: 'rejected' });
      else expect(outcome).toEqual({ status: 'fulfilled', value: `done ${i}` });
    });
    // 60 arrivals at once: 3 run, 20 wait, the other 37 start at once rather than being dropped.
    expect(pieces.peak).toBe(count - 20);
    expect(queue.runningCount).toBe(0);
    expect(queue.waitingCount).toBe(0);
  });

  it('defaults to four at once', async () => {
    const queue = new AfterAckQueue();
    const pieces = new Pieces(queue);
    const results = Array.from({ length: 6 }, (_, i) => pieces.submit(i));
    await settle();
    expect(pieces.started).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 6; i += 1) {
      pieces.finish(i);
      await settle();
    }
    await Promise.all(results);
    expect(pieces.peak).toBe(4);
  });
});
