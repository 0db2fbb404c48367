import { Injectable } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { OnSmsEvent, OpenSmsWebhookService, type SmsFailedEvent } from '@opensms/nestjs-webhooks';
import {
  type BacklogAlert,
  OPENSMS_ALERTS,
  OpenSmsWebhookAlertsModule,
  type SignatureFailuresAlert,
  type SmsEventDeadAlert,
} from '@opensms/nestjs-webhooks/alerts';
import { useTestApp, waitFor } from '../support/test-app';
import { postSigned, smsPayload } from '../support/webhook-client';

@Injectable()
class FailingHandler {
  @OnSmsEvent('failed')
  onFailed(_event: SmsFailedEvent): void {
    throw new Error('the CRM is down');
  }
}

/** What a host writes: listeners of the alerts. */
@Injectable()
class AlertListener {
  readonly dead: SmsEventDeadAlert[] = [];
  readonly signatureFailures: SignatureFailuresAlert[] = [];
  readonly backlog: BacklogAlert[] = [];

  @OnEvent(OPENSMS_ALERTS.eventDead)
  onDead(alert: SmsEventDeadAlert): void {
    this.dead.push(alert);
  }

  @OnEvent(OPENSMS_ALERTS.signatureFailures)
  onSignatureFailures(alert: SignatureFailuresAlert): void {
    this.signatureFailures.push(alert);
  }

  @OnEvent(OPENSMS_ALERTS.backlog)
  onBacklog(alert: BacklogAlert): void {
    this.backlog.push(alert);
  }
}

describe('alerts through @nestjs/event-emitter', () => {
  const host = useTestApp('alerts', {
    imports: [
      EventEmitterModule.forRoot(),
      OpenSmsWebhookAlertsModule.forRoot({
        signatureFailureThreshold: 3,
        signatureFailureWindowMs: 60_000,
        backlogThreshold: 2,
        backlogCheckIntervalMs: 200,
      }),
    ],
    providers: [FailingHandler, AlertListener],
    options: { job: { attempts: 2 } },
  });
  const listener = () => host.app.get(AlertListener);

  it('emits opensms.event.dead when a handler fails on the last attempt', async () => {
    const response = await postSigned(host.endpoint, smsPayload({ event: 'sms.failed', message_id: 'msg_alert_dead' }));
    expect(response.status).toBe(200);
    await waitFor('the dead alert', () => listener().dead.length === 1);

    const [alert] = listener().dead;
    expect(alert).toMatchObject({ name: 'opensms.event.dead', eventId: response.body.id, event: 'sms.failed', attempts: 2 });
    expect(alert.lastError).toContain('the CRM is down');
    expect((await host.app.get(OpenSmsWebhookService).findById(response.body.id))?.state).toBe('dead');
  });

  it('emits opensms.signature.failures once the unauthorized calls of a window reach the threshold, once per window', async () => {
    const forged = () =>
      postSigned(host.endpoint, smsPayload({ message_id: 'msg_forged' }), { secret: 'whsec_d3Jvbmctc2VjcmV0LW9mLWFuLWF0dGFja2Vy' });
    for (let n = 1; n <= 2; n++) expect((await forged()).status).toBe(401);
    expect(listener().signatureFailures).toHaveLength(0);

    expect((await forged()).status).toBe(401);
    expect(listener().signatureFailures).toHaveLength(1);
    expect(listener().signatureFailures[0]).toMatchObject({
      name: 'opensms.signature.failures',
      failures: 3,
      threshold: 3,
      windowMs: 60_000,
    });

    expect((await forged()).status).toBe(401);
    expect(listener().signatureFailures).toHaveLength(1);
  });

  it('emits opensms.backlog when more events wait than the threshold (checked periodically by the worker)', async () => {
    const service = host.app.get(OpenSmsWebhookService);
    await service.pause();
    try {
      const responses = await Promise.all(
        [1, 2, 3].map((n) => postSigned(host.endpoint, smsPayload({ event: 'sms.delivered', message_id: `msg_alert_backlog_${n}` }))),
      );
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200]);
      await waitFor('the backlog alert', () => listener().backlog.length > 0);

      const alert = listener().backlog[0];
      expect(alert).toMatchObject({ name: 'opensms.backlog', backlog: 3, threshold: 2 });
      expect(alert.oldestReceivedAt).toBeInstanceOf(Date);
    } finally {
      await service.resume();
    }
    // NOTE: no handler takes sms.delivered here: the drained events end `ignored`.
    await waitFor('the backlog to drain', async () => (await service.countByState()).ignored === 3);
  });
});
