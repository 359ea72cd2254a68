import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine } from '../../approvals/engine.js';
import type { Logger } from '../../logger.js';
import type { SlackMessage } from '../blocks/text.js';
import type { CardService } from '../cards.js';

/** What every listener needs; built once by createSlackApp. */
export interface ListenerContext {
  engine: ApprovalEngine;
  cards: CardService;
  logger: Logger;
  channelId: string;
  regions: readonly string[];
  requireCancelReason: boolean;
}

export function ephemeralTo(client: WebClient, channel: string, user: string, logger: Logger) {
  return async (message: SlackMessage): Promise<void> => {
    try {
      await client.chat.postEphemeral({ channel, user, ...message });
    } catch (error) {
      logger.warn('could not send an ephemeral message', { channel, error });
    }
  };
}

/** The display name Slack sent with the gesture, falling back to the id. */
export function actorFrom(user: { id: string; name?: string; username?: string }): {
  id: string;
  name: string;
} {
  const name = (user.name ?? user.username ?? user.id).slice(0, 80);
  return { id: user.id, name };
}
