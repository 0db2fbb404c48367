import { Logger } from '@nestjs/common';
import { ConsoleAccessRefusedAlert, SmsEventDeadAlert } from '@opensms/nestjs-webhooks/alerts';
import { OpsAlertsListener } from './ops-alerts.listener';

describe('OpsAlertsListener', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs a dead event whose last error forges a line, a colour and a reordering as one escaped line', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const lastError = 'refused\n\u001b[32mAlerts: all clear\u001b[0m \u202eok';
    new OpsAlertsListener().onDead(new SmsEventDeadAlert('inbox-1', 'sms.\u2066failed', 3, lastError, null));
    expect(error).toHaveBeenCalledWith(
      'sms.\\u2066failed (inbox inbox-1) is dead after 3 attempt(s): refused\\n\\x1b[32mAlerts: all clear\\x1b[0m \\u202eok',
    );
  });

  it('logs a console client held off after refused requests', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    new OpsAlertsListener().onConsoleAccessRefused(
      new ConsoleAccessRefusedAlert('203.0.113.7', 10, 60_000, new Date('2024-05-01T10:00:00Z')),
    );
    expect(warn).toHaveBeenCalledWith('Console refused 203.0.113.7 10 times within 60 s; it is held off until 2024-05-01T10:01:00.000Z');
  });
});
