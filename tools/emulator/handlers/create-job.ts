import { invalidRequest } from '../errors.js';
import { renderCreateJob } from '../render.js';
import { readBody } from '../responder.js';
import { JobStoreError } from '../store.js';
import { parseCreateJobRequest } from '../xml.js';
import type { ApiHandler } from './context.js';

/** POST /jobs: a repeated ClientRequestToken is InvalidRequest, as COS answers it. */
export const createJob: ApiHandler = async ({ req, scope }, { store }) => {
  const { input, operationXml } = parseCreateJobRequest(await readBody(req));
  try {
    return renderCreateJob(store.insert(scope.uin, scope.region, input, { operationXml }));
  } catch (error) {
    if (error instanceof JobStoreError && error.code === 'DuplicateClientRequestToken') {
      throw invalidRequest(error.message);
    }
    throw error;
  }
};
