/**
 * UpdateJobStatus answers: the one state change cosjob makes.
 */
import type { UpdateJobStatusResult } from '../model.js';
import { parseXmlDocument } from './document.js';
import { freeText, optional, required, root } from './tree.js';

export function parseUpdateJobStatus(xml: string): UpdateJobStatusResult {
  const result = root(parseXmlDocument(xml), 'UpdateJobStatusResult');
  return {
    jobId: required(result, 'JobId', 'UpdateJobStatusResult'),
    status: required(result, 'Status', 'UpdateJobStatusResult'),
    ...optional('statusUpdateReason', freeText(result, 'StatusUpdateReason')),
  };
}
