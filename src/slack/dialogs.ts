/**
 * The cancel dialogs cosjob opened. A view_submission carries its job in private_metadata, which the
 * submitting client controls; the view id Slack returned from views.open is what ties a submission to a
 * dialog cosjob really opened, for that person and that job. Kept in Redis with a short expiry so any
 * replica can accept the submission.
 */
import { DEFAULT_ACCOUNT_NAME } from '../jobs/job-ref.js';
import type { RedisClient } from '../redis/connection.js';
import type { KeySpace } from '../redis/keys.js';

export interface OpenedDialog {
  userId: string;
  account: string;
  region: string;
  jobId: string;
  /** A card's Cancel button (the job is announced) or `/cosjob cancel <JobId>` (typed-command rules). */
  openedFrom: 'card' | 'command';
  /** What the dialog asks a reason for; absent (dialogs remembered before approve had one): cancel. */
  action?: 'approve' | 'cancel';
}

/** Long enough to write a reason; Slack itself keeps a modal open for hours. */
export const DIALOG_TTL_MS = 30 * 60_000;

const VIEW_ID_PATTERN = /^V[A-Z0-9]{2,40}$/;

export class CancelDialogs {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    private readonly ttlMs: number = DIALOG_TTL_MS,
  ) {}

  async remember(viewId: unknown, dialog: OpenedDialog): Promise<void> {
    if (typeof viewId !== 'string' || !VIEW_ID_PATTERN.test(viewId)) {
      throw new Error('views.open returned no usable view id');
    }
    await this.redis.set(this.keys.dialog(viewId), JSON.stringify(dialog), 'PX', this.ttlMs);
  }

  /** The dialog cosjob opened as `viewId`, or undefined (unknown, expired or unreadable). */
  async lookup(viewId: unknown): Promise<OpenedDialog | undefined> {
    if (typeof viewId !== 'string' || !VIEW_ID_PATTERN.test(viewId)) return undefined;
    const raw = await this.redis.get(this.keys.dialog(viewId));
    if (!raw) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<OpenedDialog>;
      if (
        typeof parsed.userId === 'string' &&
        typeof parsed.region === 'string' &&
        typeof parsed.jobId === 'string' &&
        (parsed.openedFrom === 'card' || parsed.openedFrom === 'command') &&
        (parsed.action === undefined || parsed.action === 'approve' || parsed.action === 'cancel')
      ) {
        // Dialogs opened before several accounts name no account: they were the default account's.
        const account = typeof parsed.account === 'string' ? parsed.account : DEFAULT_ACCOUNT_NAME;
        return { ...(parsed as OpenedDialog), account };
      }
    } catch {
      // unreadable: treated as unknown
    }
    return undefined;
  }

  /** A submitted dialog is used up: the same view cannot cancel twice. */
  async forget(viewId: string): Promise<void> {
    await this.redis.del(this.keys.dialog(viewId));
  }
}
