/**
 * People in the demo's Slack: their clicks, dialog submissions and slash commands are signed HTTP requests
 * to cosjob's real Bolt receiver, built from what the fake Slack holds (a button's value comes from the
 * card as posted), exactly as Slack would send them.
 */
import { randomBytes } from 'node:crypto';
import { CANCEL_MODAL_CALLBACK_ID, REASON_ACTION_ID, REASON_BLOCK_ID } from '../src/slack/blocks/ids.js';
import type { StoredMessage } from '../tools/fakes/fake-slack.js';
import {
  blockActionPayload,
  postToBolt,
  slashCommandBody,
  viewSubmissionPayload,
} from '../tools/fakes/slack-requests.js';
import { CHANNEL, type DemoPerson, type DemoStack } from './stack.js';

/** Something the story expected did not happen; the message says what. */
export class DemoStepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoStepError';
  }
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DemoStepError(message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The value of the button with this action id on a message, as Slack would send it back. */
export function buttonValue(message: { blocks?: unknown[] }, actionId: string): string | undefined {
  for (const block of message.blocks ?? []) {
    if (!isRecord(block) || block.type !== 'actions' || !Array.isArray(block.elements)) continue;
    for (const element of block.elements) {
      if (isRecord(element) && element.action_id === actionId && typeof element.value === 'string') {
        return element.value;
      }
    }
  }
  return undefined;
}

/** The header text of a message (a card's title). */
export function titleOf(message: { blocks?: unknown[] } | undefined): string {
  for (const block of message?.blocks ?? []) {
    if (isRecord(block) && block.type === 'header' && isRecord(block.text)) {
      return typeof block.text.text === 'string' ? block.text.text : '';
    }
  }
  return '';
}

/** The job a card announces, from the metadata cosjob posts it with. */
export function cardJobId(message: StoredMessage): string | undefined {
  const metadata = message.metadata;
  if (!isRecord(metadata) || metadata.event_type !== 'cosjob_card' || !isRecord(metadata.event_payload)) {
    return undefined;
  }
  const jobId = metadata.event_payload.job_id;
  return typeof jobId === 'string' ? jobId : undefined;
}

export interface ModalView {
  view: Record<string, unknown>;
  privateMetadata: string;
  /** The id Slack gave the opened view; a submission carries it back. */
  viewId?: string;
}

export interface SlackAnswer {
  text?: string;
  blocks?: unknown[];
}

export class DemoSlackUsers {
  constructor(private readonly stack: DemoStack) {}

  private get eventsUrl(): string {
    return `http://127.0.0.1:${this.stack.runtime.slack.port}/slack/events`;
  }

  private async deliver(body: Record<string, unknown>, kind: 'payload' | 'form'): Promise<Response> {
    const response = await postToBolt(this.eventsUrl, this.stack.signingSecret, body, { kind });
    check(response.status === 200, `cosjob answered Slack's request with HTTP ${response.status}`);
    return response;
  }

  /** Clicks a button on a message in the channel; resolves once cosjob has finished handling it. */
  async click(person: DemoPerson, message: StoredMessage, actionId: string): Promise<void> {
    const value = buttonValue(message, actionId);
    check(value !== undefined, `the message has no ${actionId} button to click`);
    const payload = blockActionPayload({
      actionId,
      value,
      userId: person.id,
      userName: person.name,
      channelId: CHANNEL,
      messageTs: message.ts,
      messageBlocks: message.blocks ?? [],
      ...(message.text !== undefined ? { messageText: message.text } : {}),
      responseUrl: this.stack.slack.responseUrl(`click-${randomBytes(4).toString('hex')}`, {
        user: person.id,
        channel: CHANNEL,
      }),
    });
    await (await this.deliver(payload, 'payload')).text();
    await this.stack.runtime.slack.poster.idle();
  }

  /** The dialog cosjob most recently asked Slack to open. */
  lastOpenedModal(): ModalView {
    const opened = this.stack.slack.callsTo('views.open').filter((c) => c.status === 200);
    const view = opened[opened.length - 1]?.params.view;
    check(isRecord(view), 'cosjob did not open a dialog');
    const privateMetadata = view.private_metadata;
    check(typeof privateMetadata === 'string', 'the dialog carries no private_metadata');
    const viewId = this.stack.slack
      .views()
      .filter((v) => v.view.private_metadata === privateMetadata)
      .at(-1)?.id;
    return { view, privateMetadata, ...(viewId !== undefined ? { viewId } : {}) };
  }

  /**
   * Types `reason` into the cancel dialog and submits it. Returns cosjob's answer to the submission:
   * empty when accepted, `{ response_action: 'errors' }` when the dialog has to stay open.
   */
  async submitCancelReason(person: DemoPerson, modal: ModalView, reason: string): Promise<string> {
    const payload = viewSubmissionPayload({
      callbackId: CANCEL_MODAL_CALLBACK_ID,
      privateMetadata: modal.privateMetadata,
      values: { [REASON_BLOCK_ID]: { [REASON_ACTION_ID]: reason } },
      userId: person.id,
      userName: person.name,
      ...(modal.viewId !== undefined ? { viewId: modal.viewId } : {}),
    });
    const answer = await (await this.deliver(payload, 'payload')).text();
    await this.stack.runtime.slack.poster.idle();
    return answer;
  }

  /** Types `/cosjob <text>`; returns every answer the person saw (the immediate one, then response_url posts). */
  async command(person: DemoPerson, text: string): Promise<SlackAnswer[]> {
    const responseId = `cmd-${randomBytes(4).toString('hex')}`;
    const body = slashCommandBody({
      text,
      userId: person.id,
      userName: person.name,
      channelId: CHANNEL,
      responseUrl: this.stack.slack.responseUrl(responseId),
    });
    const raw = await (await this.deliver(body, 'form')).text();
    await this.stack.runtime.slack.poster.idle();
    const answers: SlackAnswer[] = [];
    if (raw !== '') answers.push(parseAnswer(raw));
    for (const posted of this.stack.slack.responses(responseId)) {
      answers.push(toAnswer(posted.body));
    }
    return answers;
  }
}

function parseAnswer(raw: string): SlackAnswer {
  try {
    return toAnswer(JSON.parse(raw));
  } catch {
    return { text: raw };
  }
}

/** Only the parts of an answer the demo shows, checked. */
function toAnswer(value: unknown): SlackAnswer {
  if (typeof value === 'string') return { text: value };
  if (!isRecord(value)) return {};
  return {
    ...(typeof value.text === 'string' ? { text: value.text } : {}),
    ...(Array.isArray(value.blocks) ? { blocks: value.blocks } : {}),
  };
}
