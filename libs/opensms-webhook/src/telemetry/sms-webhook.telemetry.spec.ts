import { Logger } from '@nestjs/common';
import { SmsWebhookTelemetry, type WebhookCallAnswered } from './sms-webhook.telemetry';

describe('SmsWebhookTelemetry', () => {
  const call: WebhookCallAnswered = { outcome: 'accepted', seconds: 0.01 };

  it('reports to every observer until it is removed', () => {
    const telemetry = new SmsWebhookTelemetry();
    const seen: WebhookCallAnswered[] = [];
    const stop = telemetry.observe({ callAnswered: (answered) => seen.push(answered) });
    telemetry.callAnswered(call);
    stop();
    telemetry.callAnswered(call);
    expect(seen).toEqual([call]);
  });

  it('keeps reporting to the others when an observer throws, and logs it', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const telemetry = new SmsWebhookTelemetry();
    const seen: number[] = [];
    telemetry.observe({
      reconcilerSwept: () => {
        throw new Error('observer broke');
      },
    });
    telemetry.observe({ reconcilerSwept: ({ requeued }) => seen.push(requeued) });
    expect(() => telemetry.reconcilerSwept({ at: new Date(), requeued: 3 })).not.toThrow();
    expect(seen).toEqual([3]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('observer broke'));
    warn.mockRestore();
  });
});
