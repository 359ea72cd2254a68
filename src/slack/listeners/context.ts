import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine } from '../../approvals/engine.js';
import type { Logger } from '../../logger.js';
import type { SlackMessage } from '../blocks/text.js';
import type { CardService } from '../cards.js';
import type { CancelDialogs } from '../dialogs.js';
import type { SlackUserNames } from '../directory.js';
import type { HomeTab } from '../home.js';
import type { AfterAckQueue } from './after-ack.js';

/** What every listener needs; built once by createSlackApp. */
export interface ListenerContext {
  engine: ApprovalEngine;
  cards: CardService;
  /** The cancel dialogs cosjob opened, so a submission can be tied to one. */
  dialogs: CancelDialogs;
  /** Display names from Slack's directory, never from the payload. */
  names: SlackUserNames;
  logger: Logger;
  channelId: string;
  requireCancelReason: boolean;
  /** Answers clicks made on the Home tab (they come with no message and no response_url). */
  home?: HomeTab;
  /** Runs what listeners do after acknowledging, a few at a time (after-ack.ts). */
  afterAck: AfterAckQueue;
}

/**
 * Answers the person who clicked. Through the click's response_url when there is one: it works in any
 * channel or DM, even where the bot is not a member; otherwise (or if that fails) with chat.postEphemeral.
 */
export function answerClick(
  respond: RespondFn | undefined,
  client: WebClient,
  channel: string,
  user: string,
  logger: Logger,
) {
  const fallback = ephemeralTo(client, channel, user, logger);
  return async (message: SlackMessage): Promise<void> => {
    if (respond) {
      try {
        await respond({ response_type: 'ephemeral', replace_original: false, ...message });
        return;
      } catch (error) {
        logger.warn('could not answer through response_url; trying chat.postEphemeral', { error });
      }
    }
    await fallback(message);
  };
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
