import type { IncomingMessage, ServerResponse } from 'node:http';
import { CosApiError } from './errors.js';
import type { ChosenFailure } from './faults.js';
import type { Responder } from './responder.js';
import type { ApiName } from './routes.js';
import type { EmulatorStats } from './stats.js';
import { XML_DECLARATION } from './xml.js';

/** How each injected failure looks on the wire (see faults.ts for when one fires). */

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const RESULT_ROOTS: Record<ApiName, string> = {
  CreateJob: 'CreateJobResult',
  DescribeJob: 'DescribeJobResult',
  ListJobs: 'ListJobsResult',
  UpdateJobPriority: 'UpdateJobPriorityResult',
  UpdateJobStatus: 'UpdateJobStatusResult',
};

export interface FaultAnswer {
  req: IncomingMessage;
  res: ServerResponse;
  failure: ChosenFailure;
  api: ApiName;
  resource: string;
  requestId: string;
  /** The body the request would have been answered with (after-effect faults truncate it). */
  body: string | undefined;
}

export function answerWithFault(answer: FaultAnswer, responder: Responder, stats: EmulatorStats): void {
  const { req, res, failure, api, resource, requestId } = answer;
  switch (failure.kind) {
    case 'reset': {
      const socket = req.socket;
      // An RST (not a FIN), so the client sees ECONNRESET as after a real connection reset.
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      stats.recordResponse(api, 'reset');
      return;
    }
    case 'hang':
      // Never answered; close() destroys the socket.
      stats.recordResponse(api, 'hang');
      return;
    case 'status5xx': {
      const error =
        failure.statusCode === 503
          ? new CosApiError(503, 'ServiceUnavailable', 'Service is unavailable. Please retry.')
          : new CosApiError(
              failure.statusCode,
              'InternalError',
              'We encountered an internal error. Please try again.',
            );
      responder.sendOutcome(res, api, responder.errorOutcome(error, resource, requestId), requestId);
      return;
    }
    case 'slowDown': {
      const error = new CosApiError(503, 'SlowDown', 'Please reduce your request rate.');
      responder.sendOutcome(res, api, responder.errorOutcome(error, resource, requestId), requestId);
      return;
    }
    case 'malformedXml': {
      const whole = answer.body ?? `${XML_DECLARATION}<${RESULT_ROOTS[api]}>\n    <JobId>`;
      responder.send(res, api, 200, whole.slice(0, Math.max(1, Math.floor(whole.length / 2))), requestId);
      return;
    }
    case 'htmlError':
      // A proxy in front of COS answered: HTML, and no x-cos-request-id.
      responder.send(res, api, 502, HTML_502, undefined, undefined, 'text/html');
      return;
  }
}
