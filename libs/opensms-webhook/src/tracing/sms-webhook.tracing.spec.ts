import { SmsWebhookTracing } from './sms-webhook.tracing';
import { UNTRACED_DISPATCH, UNTRACED_INGEST } from './sms-webhook.traces';

// A host without the optional peer: requiring it fails as Node.js fails for a package not installed.
jest.mock('@opentelemetry/api', () => {
  throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
});

describe('SmsWebhookTracing without @opentelemetry/api installed', () => {
  const tracing = new SmsWebhookTracing({ tracing: { enabled: true, propagate: ['tracestate', 'baggage'], maxPropagatedBytes: 512 } });
  const target = { id: 'e1', event: 'sms.delivered', messageId: 'm1', stale: false, traceContext: { traceparent: '00-x-y-01' } };

  it('hands out the shared no-op traces', () => {
    expect(tracing.startIngest({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toBe(UNTRACED_INGEST);
    expect(tracing.startDispatch(target, 1)).toBe(UNTRACED_DISPATCH);
  });

  it('still runs every step and handler, stores no trace context, and lets errors through', async () => {
    const ingest = tracing.startIngest({});
    await expect(ingest.step('store', async () => 'stored')).resolves.toBe('stored');
    expect(ingest.carrier()).toBeNull();
    ingest.describe('sms.delivered', 'm1');
    ingest.end('accepted', { eventId: 'e1' });

    const dispatch = tracing.startDispatch(target, 1);
    const failure = new Error('handler failed');
    await expect(dispatch.handler('Consumer.onDelivered', () => Promise.reject(failure))).rejects.toBe(failure);
    dispatch.outcome('failed', failure);
    dispatch.rollBack(failure);
  });
});
