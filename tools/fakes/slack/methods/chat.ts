import { blockKitProblems } from '../block-kit.js';
import type { MethodResult, StoredEphemeral } from '../types.js';
import { isTrue, stringParam } from '../wire.js';
import { messageJson, type Workspace } from '../workspace.js';
import type { MethodTable } from './method.js';

/** chat.postMessage, chat.update, chat.postEphemeral, conversations.history and conversations.info. */

function contentProblem(workspace: Workspace, params: Record<string, unknown>): MethodResult | undefined {
  if (params.blocks !== undefined && !Array.isArray(params.blocks)) {
    return { ok: false, error: 'invalid_blocks_format' };
  }
  if (workspace.validateBlocks && Array.isArray(params.blocks)) {
    const problems = blockKitProblems(params.blocks, 'message');
    if (problems.length > 0) {
      return {
        ok: false,
        error: 'invalid_blocks',
        errors: problems,
        response_metadata: { messages: problems },
      };
    }
  }
  return undefined;
}

function postMessage(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const channel = stringParam(params.channel);
  if (!channel) return { ok: false, error: 'channel_not_found' };
  const text = stringParam(params.text);
  const blocks = Array.isArray(params.blocks) ? params.blocks : undefined;
  if (!text && (!blocks || blocks.length === 0) && params.attachments === undefined) {
    return { ok: false, error: 'no_text' };
  }
  const problem = contentProblem(workspace, params);
  if (problem) return problem;
  let threadTs = stringParam(params.thread_ts);
  if (threadTs !== undefined) {
    const parent = workspace.message(channel, threadTs);
    // Slack files a reply to a reply under the same parent; an unknown ts is a bug in the caller.
    if (!parent) return { ok: false, error: 'thread_not_found' };
    threadTs = parent.threadTs ?? parent.ts;
  }
  const stored = workspace.storeMessage(channel, text, blocks, threadTs, isTrue(params.reply_broadcast));
  if (params.metadata !== undefined) stored.metadata = params.metadata;
  return { ok: true, channel, ts: stored.ts, message: messageJson(stored) };
}

/** Top-level messages, newest first; `metadata` only with include_all_metadata, as Slack does. */
function history(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const channel = stringParam(params.channel);
  if (!channel) return { ok: false, error: 'channel_not_found' };
  const requested = Number(stringParam(params.limit) ?? 100);
  const limit = Number.isFinite(requested) && requested > 0 ? Math.min(requested, 999) : 100;
  const withMetadata = isTrue(params.include_all_metadata);
  const newestFirst = workspace.topLevel(channel).reverse();
  const page = newestFirst.slice(0, limit).map((m) => ({
    ...messageJson(m),
    ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
  }));
  return { ok: true, messages: page, has_more: newestFirst.length > limit };
}

function update(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const channel = stringParam(params.channel);
  const ts = stringParam(params.ts);
  if (!channel) return { ok: false, error: 'channel_not_found' };
  const message = ts ? workspace.message(channel, ts) : undefined;
  if (!message) return { ok: false, error: 'message_not_found' };
  const problem = contentProblem(workspace, params);
  if (problem) return problem;
  const text = stringParam(params.text);
  if (text !== undefined) message.text = text;
  if (Array.isArray(params.blocks)) message.blocks = params.blocks;
  message.updates++;
  return { ok: true, channel, ts: message.ts, text: message.text ?? '', message: messageJson(message) };
}

function postEphemeral(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const channel = stringParam(params.channel);
  const user = stringParam(params.user);
  if (!channel) return { ok: false, error: 'channel_not_found' };
  if (!user) return { ok: false, error: 'user_not_in_channel' };
  const text = stringParam(params.text);
  const blocks = Array.isArray(params.blocks) ? params.blocks : undefined;
  if (!text && (!blocks || blocks.length === 0)) return { ok: false, error: 'no_text' };
  const problem = contentProblem(workspace, params);
  if (problem) return problem;
  const ephemeral: StoredEphemeral = { channel, user, messageTs: workspace.nextTs() };
  if (text !== undefined) ephemeral.text = text;
  if (blocks !== undefined) ephemeral.blocks = blocks;
  const threadTs = stringParam(params.thread_ts);
  if (threadTs !== undefined) ephemeral.threadTs = threadTs;
  workspace.ephemerals.push(ephemeral);
  return { ok: true, message_ts: ephemeral.messageTs };
}

/** conversations.info: enough for a membership check (`is_member`). */
function conversationInfo(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const channel = stringParam(params.channel) ?? '';
  if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return { ok: false, error: 'channel_not_found' };
  return {
    ok: true,
    channel: { id: channel, is_channel: true, is_member: !workspace.channelsWithoutBot.has(channel) },
  };
}

export const CHAT_METHODS: MethodTable = {
  'conversations.info': conversationInfo,
  'chat.postMessage': postMessage,
  'conversations.history': history,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
};
