/**
 * Tells the approval channel about unwise configuration (no AUDIT_HMAC_KEY, a region Tencent does not
 * list, Redis without persistence), once per problem and deployment rather than once per restart: what
 * was told is remembered in Redis (a set of fingerprints, SADD deciding which replica speaks).
 */
import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { RedisClient } from '../approvals/ports.js';
import type { Logger } from '../logger.js';
import type { KeySpace } from '../redis/keys.js';
import { section, userText } from './blocks/text.js';

export interface ConfigurationWarning {
  /** Names the problem, so a warning whose details vary between starts (a measured skew) is told once. */
  id: string;
  text: string;
}

/** Warnings from the settings reader: each text names one problem and is the same at every start. */
export function settingsWarnings(texts: readonly string[]): ConfigurationWarning[] {
  return texts.map((text) => ({ id: `settings:${text}`, text }));
}

function fingerprint(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

/** Returns how many warnings were posted now (the others had been told before, or could not be). */
export async function tellConfigurationWarningsOnce(o: {
  redis: RedisClient;
  keys: KeySpace;
  client: WebClient;
  channel: string;
  logger: Logger;
  warnings: readonly ConfigurationWarning[];
}): Promise<number> {
  let posted = 0;
  const told = o.keys.toldWarnings();
  for (const warning of o.warnings) {
    const mark = fingerprint(warning.id);
    try {
      if ((await o.redis.sadd(told, mark)) === 0) continue;
    } catch (error) {
      o.logger.warn('could not check whether a configuration warning was told', { error });
      return posted;
    }
    try {
      const text = `:warning: cosjob configuration: ${userText(warning.text, 1_500)}\nThis is told once; \`cosjob doctor\` lists every check.`;
      await o.client.chat.postMessage({
        channel: o.channel,
        text,
        blocks: [section(text)],
        unfurl_links: false,
      });
      posted++;
    } catch (error) {
      // Not told after all: forget the mark so the next start tries again.
      o.logger.warn('could not tell the channel about a configuration warning', { error });
      await o.redis.srem(told, mark).catch(() => undefined);
    }
  }
  return posted;
}
