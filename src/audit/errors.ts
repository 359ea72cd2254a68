export type AuditErrorCode =
  /** The entry to append was invalid; nothing was written. */
  | 'invalid_input'
  /** Too many concurrent writers: the append kept losing the compare-and-set. Nothing was written. */
  | 'contention'
  /** The audit keys are in a state cosjob never writes (modified outside cosjob). Nothing was written. */
  | 'integrity'
  /** The entry was written but not confirmed on disk in time. Retrying with the same entryId is safe. */
  | 'durability'
  /**
   * Redis did not answer (down, timed out, refused). The entry may or may not have been written — a
   * timed-out command can still run — so treat the act as unrecorded and retry with the same entryId.
   */
  | 'unavailable';

export class AuditError extends Error {
  readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditError';
    this.code = code;
  }
}

export class AuditInputError extends AuditError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('invalid_input', `audit entry rejected: ${problems.join('; ')}`);
    this.name = 'AuditInputError';
    this.problems = problems;
  }
}
