/** manifest.yml asks Slack for what the code uses: the Home tab and its event. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8')) as {
  features?: { app_home?: { home_tab_enabled?: unknown } };
  settings?: { event_subscriptions?: { bot_events?: unknown } };
};

describe('manifest.yml', () => {
  it('enables the Home tab and subscribes to app_home_opened', () => {
    expect(manifest.features?.app_home?.home_tab_enabled).toBe(true);
    expect(manifest.settings?.event_subscriptions?.bot_events).toContain('app_home_opened');
  });
});
