/**
 * Our idea of COS's clock. A request signed with a key time COS finds stale is refused before it has
 * any effect (RequestTimeTooSkewed, "Request has expired"), and the refusal carries COS's Date header:
 * the offset learnt from it is added to every later signature's time.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { CosError } from './errors.js';

export class ClockSkew {
  private offset = 0;

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly region: string,
  ) {}

  /** Milliseconds COS's clock is ahead of ours (negative when behind). */
  get offsetMs(): number {
    return this.offset;
  }

  /** Now, as COS's clock reads it. */
  now(): number {
    return this.clock.now() + this.offset;
  }

  /** Learns the offset from a skew refusal's Date header; false when there is none to learn from. */
  learnFrom(serverDate: string | undefined, error: CosError): boolean {
    const serverMs = serverDate === undefined ? Number.NaN : Date.parse(serverDate);
    if (Number.isNaN(serverMs)) {
      this.logger.warn('COS reports clock skew but sent no usable Date header; cannot correct', {
        region: this.region,
        code: error.code,
        requestId: error.requestId,
      });
      return false;
    }
    this.offset = serverMs - this.clock.now();
    this.logger.warn('Corrected clock skew from the COS Date header', {
      region: this.region,
      offsetMs: this.offset,
      code: error.code,
    });
    return true;
  }
}
