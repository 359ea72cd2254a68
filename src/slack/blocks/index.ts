/** Pure Block Kit builders for cosjob's Slack surfaces. Nothing here performs I/O. */

export {
  type CancelModalInput,
  type CancelModalMetadata,
  type CancelModalMetadataResult,
  cancelReasonModal,
  parseCancelModalMetadata,
  readCancelReason,
  validateReasonBytes,
} from './cancel-modal.js';
export {
  helpMessage,
  type JobListItem,
  type JobListOptions,
  jobListMessage,
  jobStatusMessage,
  type NoticeInput,
  noticeMessage,
  type RefusalInput,
  refusalMessage,
  type UnreachableRegion,
} from './commands.js';
export {
  ACTION_IDS,
  CANCEL_MODAL_CALLBACK_ID,
  REASON_ACTION_ID,
  REASON_BLOCK_ID,
} from './ids.js';
export { type CardPhase, type JobCardInput, jobCard } from './job-card.js';
export {
  describeOperation,
  type OperationDescription,
  parseTargetResource,
  type TargetBucket,
} from './operation.js';
export {
  blockTextLength,
  escapeMrkdwn,
  MESSAGE_TEXT_BUDGET,
  SLACK_LIMITS,
  type SlackMessage,
  TEXT_CAPS,
  type TextShape,
  truncate,
  truncateMrkdwn,
  userPlain,
  userText,
} from './text.js';
export {
  auditEntryLine,
  auditEntryReply,
  auditTrailMessage,
  changedOutsideReply,
  expiredReply,
  finishedSummary,
  progressReply,
  type ReminderInput,
  reminderReply,
} from './thread.js';
