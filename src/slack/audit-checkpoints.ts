/**
 * Audit checkpoints in a Slack channel: posting them (the CheckpointPublisher port of
 * src/audit/checkpoints.ts) and reading them back from the channel's history.
 *
 * A checkpoint travels as message metadata (event type `cosjob_audit_checkpoint`, the checkpoint as the
 * event payload), which people cannot edit in the client; the text is only for people.
 * conversations.history returns metadata only when asked with `include_all_metadata`, and pages with
 * `response_metadata.next_cursor`.
 */
import type { WebClient } from '@slack/web-api';
import type { CheckpointSet } from '../audit/checkpoint-verify.js';
import type { AuditCheckpoint, CheckpointPublisher } from '../audit/checkpoints.js';
import { parseCheckpoint } from '../audit/checkpoints.js';
import { type Env, EnvReader } from '../config/index.js';
import { registerSecret } from '../logger.js';
import { terminalWebClient } from './terminal-client.js';

export const CHECKPOINT_EVENT_TYPE = 'cosjob_audit_checkpoint';

/** The whole history is read, but never more than this many pages (200 messages each). */
const MAX_HISTORY_PAGES = 500;

export function checkpointText(checkpoint: AuditCheckpoint): string {
  return (
    `Audit checkpoint: global seq ${checkpoint.seq}, head hash \`${checkpoint.headHash.slice(0, 16)}…\`, ` +
    `${checkpoint.time}${checkpoint.hmac ? ' (HMAC-signed)' : ''}. ` +
    'Check it later with `cosjob audit verify --checkpoints slack`.'
  );
}

export class SlackCheckpointPublisher implements CheckpointPublisher {
  constructor(
    private readonly client: WebClient,
    private readonly channel: string,
  ) {}

  async publish(checkpoint: AuditCheckpoint): Promise<void> {
    const { hmac, ...rest } = checkpoint;
    await this.client.chat.postMessage({
      channel: this.channel,
      text: checkpointText(checkpoint),
      metadata: {
        event_type: CHECKPOINT_EVENT_TYPE,
        event_payload: { ...rest, ...(hmac ? { hmac } : {}) },
      },
    });
  }
}

export interface ReadSlackCheckpointsOptions {
  /** cosjob's bot user id (auth.test): checkpoints posted by anyone else are reported, not used. */
  botUserId?: string;
  botId?: string;
}

interface HistoryMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  metadata?: { event_type?: string; event_payload?: unknown };
}

/** Every checkpoint message in the channel's history, oldest first. */
export async function readSlackCheckpoints(
  client: WebClient,
  channel: string,
  options: ReadSlackCheckpointsOptions = {},
): Promise<CheckpointSet> {
  const set: CheckpointSet = { checkpoints: [], unreadable: [], warnings: [] };
  const seen = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; ; page += 1) {
    if (page === MAX_HISTORY_PAGES) {
      set.warnings.push(
        `stopped after ${MAX_HISTORY_PAGES} pages of history; older checkpoints were not read`,
      );
      break;
    }
    const reply = await client.conversations.history({
      channel,
      limit: 200,
      include_all_metadata: true,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const message of (reply.messages ?? []) as HistoryMessage[]) {
      if (message.metadata?.event_type !== CHECKPOINT_EVENT_TYPE) continue;
      const ts = message.ts ?? '?';
      if (seen.has(ts)) continue;
      seen.add(ts);
      const where = `Slack message ${ts}`;
      const parsed = parseCheckpoint(message.metadata.event_payload);
      if ('problem' in parsed) {
        set.unreadable.push({
          where,
          detail: `${where} carries a checkpoint that is unreadable: ${parsed.problem}`,
        });
        continue;
      }
      const byBot =
        (options.botUserId === undefined && options.botId === undefined) ||
        (options.botUserId !== undefined && message.user === options.botUserId) ||
        (options.botId !== undefined && message.bot_id === options.botId);
      set.checkpoints.push({
        checkpoint: parsed,
        where,
        ...(byBot
          ? {}
          : {
              foreignAuthor: `posted by ${message.user ?? message.bot_id ?? 'someone'}, not by cosjob's bot`,
            }),
      });
    }
    const next = reply.response_metadata?.next_cursor;
    if (next) {
      cursor = next;
      continue;
    }
    if (reply.has_more) {
      set.warnings.push('Slack reported more history but gave no cursor; older checkpoints were not read');
    }
    break;
  }
  set.checkpoints.reverse();
  return set;
}

/**
 * For `cosjob audit verify --checkpoints slack`: reads SLACK_BOT_TOKEN, AUDIT_CHANNEL_ID (default
 * SLACK_CHANNEL_ID) and SLACK_API_URL, asks auth.test who the bot is, and reads the channel's history.
 */
export async function loadSlackCheckpoints(env: Env): Promise<CheckpointSet> {
  const reader = new EnvReader(env);
  // Reading checkpoints from Slack needs the bot token, and AUDIT_CHANNEL_ID or SLACK_CHANNEL_ID.
  const botToken = reader.matching(
    'SLACK_BOT_TOKEN',
    /^xoxb-[A-Za-z0-9-]+$/,
    'a bot token starting with xoxb-',
    true,
  );
  const channel =
    reader.matching('AUDIT_CHANNEL_ID', /^[CG][A-Z0-9]{2,}$/, 'a channel id such as C0123ABCD', false) ??
    reader.matching('SLACK_CHANNEL_ID', /^[CG][A-Z0-9]{2,}$/, 'a channel id such as C0123ABCD', true);
  const apiUrl = reader.url('SLACK_API_URL', ['http:', 'https:'], false);
  reader.throwIfProblems();
  registerSecret(botToken);
  const client = await terminalWebClient(botToken as string, apiUrl);
  const auth = await client.auth.test();
  return readSlackCheckpoints(client, channel as string, {
    ...(auth.user_id ? { botUserId: auth.user_id } : {}),
    ...(auth.bot_id ? { botId: auth.bot_id } : {}),
  });
}
