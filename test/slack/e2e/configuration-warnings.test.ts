/** Careless operators: unwise configuration is told in the approval channel once, not at every restart. */
import { describe, expect, it } from 'vitest';
import { settingsWarnings } from '../../../src/slack/configuration-warnings.js';
import { CHANNEL, textOf, useE2E } from './harness.js';

const { start } = useE2E();

const NO_HMAC = 'AUDIT_HMAC_KEY is not set: the audit chain is plain SHA-256';
const PERSISTENCE = {
  id: 'doctor:redis.persistence',
  text: 'AOF and RDB snapshots are both off: a Redis restart loses the audit trail',
};

const notices = (e2e: { slack: { messages(channel: string): { text?: string }[] } }) =>
  e2e.slack.messages(CHANNEL).filter((m) => textOf(m).includes('cosjob configuration'));

describe('configuration warnings in the approval channel', () => {
  it('tells each problem once per deployment, across restarts and replicas, and escapes it', async () => {
    const first = await start({ configurationWarnings: [...settingsWarnings([NO_HMAC]), PERSISTENCE] });
    expect(await first.runtime.configurationNotices).toBe(2);
    expect(notices(first).map(textOf)).toEqual([
      expect.stringContaining('AUDIT_HMAC_KEY is not set'),
      expect.stringContaining('a Redis restart loses the audit trail'),
    ]);
    await first.stopRuntime();

    // A restart (or a second replica) with the same problems says nothing; a new problem is told once,
    // and a warning whose details change between starts is still one problem.
    const hostile = 'COS_REGIONS: "ap-<!channel>" is not a region Tencent lists';
    const second = await start({
      shareWith: first,
      configurationWarnings: [
        ...settingsWarnings([NO_HMAC, hostile]),
        { ...PERSISTENCE, text: `${PERSISTENCE.text} (checked again)` },
      ],
    });
    expect(await second.runtime.configurationNotices).toBe(1);
    const told = notices(second).map(textOf);
    expect(told).toHaveLength(3);
    expect(told[2]).toContain('ap-&lt;!channel&gt;');
    expect(told[2]).not.toContain('<!channel>');
  });
});
