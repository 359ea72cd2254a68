/**
 * Where a button click was made. A click on a message (a card, a `/cosjob list` answer) carries the
 * message and its channel; a click on the Home tab carries neither (`container.type` is `view`, `view.type`
 * is `home`), so the job's own card stands in for the message: the cancel dialog and its answer refer to it.
 */
import type { BlockAction } from '@slack/bolt';
import type { JobRef } from '../../jobs/job-ref.js';
import type { ListenerContext } from './context.js';

export interface ClickOrigin {
  surface: 'message' | 'home';
  /** The channel to answer in when there is no response_url. */
  channel: string;
  /** The message the click is about (its ts), when there is one. */
  messageTs?: string;
}

export function isHomeClick(body: BlockAction): boolean {
  return body.view?.type === 'home';
}

export async function clickOrigin(
  ctx: ListenerContext,
  body: BlockAction,
  ref: JobRef,
): Promise<ClickOrigin> {
  if (!isHomeClick(body)) {
    const messageTs = body.message?.ts ?? body.container?.message_ts;
    return {
      surface: 'message',
      channel: body.channel?.id ?? ctx.channelId,
      ...(typeof messageTs === 'string' ? { messageTs } : {}),
    };
  }
  const card = (await ctx.engine.jobRecord(ref).catch(() => undefined))?.card;
  return card
    ? { surface: 'home', channel: card.channel, messageTs: card.ts }
    : { surface: 'home', channel: ctx.channelId };
}
