import { Logger } from '@nestjs/common';
import { SmsEventDeadAlert } from '@opensms/nestjs-webhooks/alerts';
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
});
