/** Identifiers the Bolt listeners route on; builders and listeners must agree on them. */
export const ACTION_IDS = {
  approve: 'cosjob_approve',
  cancel: 'cosjob_cancel',
  audit: 'cosjob_audit',
} as const;

export const CANCEL_MODAL_CALLBACK_ID = 'cosjob_cancel_reason';
/** The reason dialog of Approve, for a job whose rule requires a reason to approve. */
export const APPROVE_MODAL_CALLBACK_ID = 'cosjob_approve_reason';
export const REASON_BLOCK_ID = 'reason_block';
export const REASON_ACTION_ID = 'reason_input';
