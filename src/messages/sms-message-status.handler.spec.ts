import { Logger } from '@nestjs/common';
import { dispatchToHandlers } from '@opensms/nestjs-webhooks/testing';
import type { EntityManager } from 'typeorm';
import { SmsMessageStatusHandler } from './sms-message-status.handler';

describe('SmsMessageStatusHandler', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs a signed message_id that forges a line, a colour and a reordering as one escaped line', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const manager = { getRepository: () => ({ findOneBy: async () => null }), insert: async () => undefined } as unknown as EntityManager;
    const payload = {
      event: 'sms.pending',
      message_id: 'msg_1\n\u001b[31mmsg_2\u202e',
      phone: '+254712345678',
      status: 'pending',
      timestamp: '2024-01-13T12:00:00Z',
    };
    await dispatchToHandlers([new SmsMessageStatusHandler()], payload, { manager, stale: true });
    expect(log).toHaveBeenCalledWith(
      'msg_1\\n\\x1b[31mmsg_2\\u202e: pending of 2024-01-13T12:00:00.000Z is older than the current status, recorded only',
    );
  });
});
