import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../src/cos/deadline.js';

describe('Deadline', () => {
  it('fires once the time is up: aborted, a TimeoutError reason, one abort event', async () => {
    const deadline = new Deadline(30);
    let events = 0;
    deadline.on('abort', () => events++);
    expect(deadline.aborted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(deadline.aborted).toBe(true);
    expect(deadline.reason).toBeInstanceOf(DOMException);
    expect(deadline.reason?.name).toBe('TimeoutError');
    expect(events).toBe(1);
  });

  it('never fires after clear()', async () => {
    const deadline = new Deadline(20);
    deadline.clear();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.aborted).toBe(false);
  });

  it('sleep resolves after its time when the deadline is further away, and leaves no listener', async () => {
    const deadline = new Deadline(5000);
    await deadline.sleep(10);
    expect(deadline.listenerCount('abort')).toBe(0);
    deadline.clear();
  });

  it('sleep rejects with the reason as soon as the deadline passes, not when the sleep would end', async () => {
    const deadline = new Deadline(30);
    const started = performance.now();
    const outcome = await deadline.sleep(60_000).then(
      () => 'slept',
      (reason: unknown) => reason,
    );
    expect(outcome).toBe(deadline.reason);
    expect(performance.now() - started).toBeLessThan(10_000);
    await expect(deadline.sleep(1)).rejects.toBe(deadline.reason);
  });

  it('is a signal undici accepts: an EventEmitter with aborted and reason', () => {
    const deadline = new Deadline(1000);
    expect(deadline).toBeInstanceOf(EventEmitter);
    expect(typeof deadline.once).toBe('function');
    deadline.clear();
  });
});
