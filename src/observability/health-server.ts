/**
 * The probe and scrape endpoints. In HTTP mode they are Bolt custom routes beside /slack/events; in
 * Socket Mode the same handler runs in its own node:http server on PORT.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import type { CosjobMetrics } from './metrics.js';
import { HEALTH_PATHS } from './paths.js';
import type { Readiness } from './readiness.js';

export interface HealthHandlerOptions {
  readiness: Readiness;
  metrics: CosjobMetrics;
  logger: Logger;
}

export type HealthHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function healthHandler(o: HealthHandlerOptions): HealthHandler {
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    switch (path) {
      case HEALTH_PATHS.live:
      case HEALTH_PATHS.legacyHealth:
        // Answering at all is the proof: the event loop turned to run this handler.
        send(res, 200, 'text/plain', 'ok');
        return;
      case HEALTH_PATHS.ready:
        o.readiness.report().then(
          (report) => send(res, report.ready ? 200 : 503, 'application/json', JSON.stringify(report.body)),
          (error) => {
            o.logger.error('readiness check failed unexpectedly', { error });
            send(res, 503, 'application/json', JSON.stringify({ status: 'not_ready', checks: {} }));
          },
        );
        return;
      case HEALTH_PATHS.metrics:
        o.metrics.text().then(
          (text) => send(res, 200, o.metrics.contentType(), text),
          (error) => {
            o.logger.error('metrics could not be rendered', { error });
            send(res, 500, 'text/plain', 'metrics unavailable');
          },
        );
        return;
      default:
        send(res, 404, 'text/plain', 'not found');
    }
  };
}

/** Bolt HTTPReceiver custom routes for every health path. */
export function healthRoutes(
  handler: HealthHandler,
): { path: string; method: string[]; handler: HealthHandler }[] {
  return Object.values(HEALTH_PATHS).map((path) => ({ path, method: ['GET'], handler }));
}

export interface RunningHealthServer {
  port: number;
  close(): Promise<void>;
}

/** Socket Mode: the probes get a server of their own. */
export async function startHealthServer(handler: HealthHandler, port: number): Promise<RunningHealthServer> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
