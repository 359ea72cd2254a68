import { CosApiError, invalidArgument, invalidRequest } from './errors.js';

/**
 * Routing and query parsing for the five job APIs: POST /jobs (CreateJob), GET /jobs (ListJobs),
 * GET /jobs/<JobId> (DescribeJob), POST /jobs/<JobId>/priority and POST /jobs/<JobId>/status.
 */

export type ApiName = 'CreateJob' | 'DescribeJob' | 'ListJobs' | 'UpdateJobPriority' | 'UpdateJobStatus';

export const API_NAMES: readonly ApiName[] = [
  'CreateJob',
  'DescribeJob',
  'ListJobs',
  'UpdateJobPriority',
  'UpdateJobStatus',
];

export interface Route {
  api: ApiName;
  jobId?: string;
  /** The decoded path, as it is signed. */
  path: string;
}

const ROUTES_HINT =
  'valid routes are POST /jobs, GET /jobs, GET /jobs/<JobId>, POST /jobs/<JobId>/priority and POST /jobs/<JobId>/status';

function methodNotAllowed(method: string, path: string, allowed: string): CosApiError {
  return new CosApiError(
    405,
    'MethodNotAllowed',
    `${method} is not allowed on ${path}; use ${allowed} (DeleteJob is not emulated: it is undocumented)`,
  );
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest('the request path is not valid percent-encoding');
  }
}

/** Resolves method + raw path; throws CosApiError 404/405/400 for anything that is not a job API. */
export function resolveRoute(method: string, rawPath: string): Route {
  if (rawPath === '/jobs') {
    if (method === 'GET') return { api: 'ListJobs', path: rawPath };
    if (method === 'POST') return { api: 'CreateJob', path: rawPath };
    throw methodNotAllowed(method, rawPath, 'GET (ListJobs) or POST (CreateJob)');
  }
  if (!rawPath.startsWith('/jobs/')) {
    throw new CosApiError(404, 'NoSuchResource', `no such resource ${rawPath}: ${ROUTES_HINT}`);
  }
  const rest = rawPath.slice('/jobs/'.length).split('/');
  if (rest.length > 2)
    throw new CosApiError(404, 'NoSuchResource', `no such resource ${rawPath}: ${ROUTES_HINT}`);
  const jobId = decodeSegment(rest[0]!);
  const action = rest[1];
  if (jobId === '') throw invalidRequest('the job ID is missing from the path (任务ID缺失)');
  const path = action === undefined ? `/jobs/${jobId}` : `/jobs/${jobId}/${action}`;
  if (action === undefined) {
    if (method === 'GET') return { api: 'DescribeJob', jobId, path };
    throw methodNotAllowed(method, rawPath, 'GET (DescribeJob)');
  }
  if (action === 'priority') {
    if (method === 'POST') return { api: 'UpdateJobPriority', jobId, path };
    throw methodNotAllowed(method, rawPath, 'POST (UpdateJobPriority)');
  }
  if (action === 'status') {
    if (method === 'POST') return { api: 'UpdateJobStatus', jobId, path };
    throw methodNotAllowed(method, rawPath, 'POST (UpdateJobStatus)');
  }
  throw new CosApiError(404, 'NoSuchResource', `no such resource ${rawPath}: ${ROUTES_HINT}`);
}

/**
 * Parses the wire query into decoded name → value. `+` decodes as a space, as a form decoder would
 * (the Go SDK sends spaces as `+` while signing `%20`). A repeated name is refused:
 * the signature could not say which value was meant.
 */
export function parseQuery(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw invalidArgument(`query parameter "${rawName}" is not valid percent-encoding`);
    }
    if (params.has(name)) {
      throw invalidArgument(`query parameter "${name}" appears more than once; send it once`);
    }
    params.set(name, value);
  }
  return params;
}
