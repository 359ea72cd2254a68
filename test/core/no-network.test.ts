import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../setup/no-network.js';

describe('the test network guard', () => {
  it('knows loopback from everything else', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of [
      '10.0.0.1',
      '192.168.1.1',
      '8.8.8.8',
      'slack.com',
      '100000000001.cos-control.ap-guangzhou.myqcloud.com',
      '::2',
    ]) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it('is installed on every socket in the test process', () => {
    expect(net.Socket.prototype.connect.name).toBe('guardedConnect');
  });
});
