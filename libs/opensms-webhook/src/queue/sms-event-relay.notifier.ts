import { Injectable, Logger, Optional } from '@nestjs/common';
import { SmsEventOutbox } from '../inbox/sms-event.outbox';
import { messages } from '../opensms-webhook.messages';
import { FailureBurst } from '../internal/failure-burst';
import { SmsEventRelay } from './sms-event.relay';

/**
 * Tells the relays that stored events wait to be queued, without waiting for it: the relay of this
 * process directly, else every relay on the database through `pg_notify`. Notifications are
 * coalesced (one in flight at a time), and a lost one only delays the event until the relays'
 * next round (every second).
 */
@Injectable()
export class SmsEventRelayNotifier {
  private readonly warning = new FailureBurst(new Logger('OpenSmsWebhook'));
  private channel?: Promise<string>;
  private sending = false;
  private again = false;

  constructor(
    private readonly outbox: SmsEventOutbox,
    @Optional() private readonly relay?: SmsEventRelay,
  ) {}

  notify(): void {
    if (this.relay) return this.relay.wake();
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    void this.send();
  }

  private async send(): Promise<void> {
    do {
      this.again = false;
      try {
        this.channel ??= this.outbox.channel();
        await this.outbox.notify(await this.channel);
      } catch (error) {
        this.channel = undefined;
        this.warning.warn(messages.relayNotifyFailed(error));
      }
    } while (this.again);
    this.sending = false;
  }
}
