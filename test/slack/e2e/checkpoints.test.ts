/** The running bot anchors its audit chain outside Redis: checkpoints in the audit channel and a file. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChainReads } from '../../../src/audit/chain-reads.js';
import { readCheckpointFile, verifyAgainstCheckpoints } from '../../../src/audit/checkpoint-verify.js';
import { CheckpointSigner } from '../../../src/audit/checkpoints.js';
import { KeySpace } from '../../../src/redis/keys.js';
import { CHECKPOINT_EVENT_TYPE } from '../../../src/slack/audit-checkpoints.js';
import { ALICE, CHANNEL, useE2E } from './harness.js';

const { start } = useE2E();

let clockToAdvance: { advance(ms: number): void } | undefined;

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    // The harness runs on a manual clock: move it past the interval so the next check is due.
    clockToAdvance?.advance(100);
    if (Date.now() > deadline) throw new Error('timed out waiting for a checkpoint');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('audit checkpoints of the running bot', () => {
  it('the leader writes the moved chain to the audit channel and the file, and verify finds them all', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cosjob-checkpoints-'));
    const file = join(dir, 'checkpoints.jsonl');
    const e2e = await start({ audit: { checkpointIntervalMs: 50, checkpointFile: file } });
    clockToAdvance = e2e.cos.clock;
    const { jobId } = await e2e.pendingCard();
    await e2e.click('cosjob_approve', { jobId }, ALICE);
    await e2e.settled();
    // The lease is taken by the watcher's poll; only the leader writes checkpoints.
    await e2e.poll();
    const head = (await e2e.runtime.audit.verify({ kind: 'global' })).entries;
    expect(head).toBeGreaterThanOrEqual(3);

    const posted = () =>
      e2e.slack
        .messages(CHANNEL)
        .filter(
          (m) => (m.metadata as { event_type?: string } | undefined)?.event_type === CHECKPOINT_EVENT_TYPE,
        );
    await waitFor(() => posted().some((m) => JSON.stringify(m.metadata).includes(`"seq":${head}`)), 5_000);
    await waitFor(async () => (await readFile(file, 'utf8')).includes(`"seq":${head}`), 5_000);

    const set = await readCheckpointFile(file);
    const keys = new KeySpace(e2e.config.redis.keyPrefix);
    const report = await verifyAgainstCheckpoints(new ChainReads(e2e.runtime.redis, keys), set, {
      signer: new CheckpointSigner(undefined),
      trail: e2e.config.redis.keyPrefix,
    });
    expect(report.ok).toBe(true);

    // Cutting the newest entry (a rolled-back trail) is named against the checkpoint that recorded it.
    const newest = await e2e.runtime.redis.xrevrange(keys.auditLog(), '+', '-', 'COUNT', 1);
    await e2e.runtime.redis.xdel(keys.auditLog(), newest[0]![0]);
    const after = await verifyAgainstCheckpoints(new ChainReads(e2e.runtime.redis, keys), set, {
      signer: new CheckpointSigner(undefined),
      trail: e2e.config.redis.keyPrefix,
    });
    expect(after.ok).toBe(false);
  });
});
