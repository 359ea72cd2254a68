import type { Reply, StoredEphemeral } from './types.js';
import { ok200 } from './wire.js';
import type { Workspace } from './workspace.js';

/**
 * A post to a response_url. Answers are ephemeral unless they say in_channel or replace the original
 * message; with a known context (who clicked, where) an ephemeral answer is kept as that user sees it.
 */
export function receiveResponseUrlPost(workspace: Workspace, id: string, body: unknown): Reply {
  workspace.responses.push({ id, body, receivedAt: workspace.clock.now() });
  const context = workspace.responseContexts.get(id);
  const message = (body ?? {}) as {
    response_type?: unknown;
    text?: unknown;
    blocks?: unknown;
    replace_original?: unknown;
  };
  if (context && message.response_type !== 'in_channel' && message.replace_original !== true) {
    const ephemeral: StoredEphemeral = {
      channel: context.channel,
      user: context.user,
      messageTs: workspace.nextTs(),
    };
    if (typeof message.text === 'string') ephemeral.text = message.text;
    if (Array.isArray(message.blocks)) ephemeral.blocks = message.blocks;
    workspace.ephemerals.push(ephemeral);
  }
  return ok200({ ok: true });
}
