import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { SmsWebhookTelemetry } from '../telemetry/sms-webhook.telemetry';
import { SmsWebhookTracing } from '../tracing/sms-webhook.tracing';
import { WebhookCall, type WebhookHttpRequest } from './webhook-call';
import { WebhookVerificationService } from './webhook-verification.service';

/**
 * Lets a webhook call reach the route only once its signature verified, so that no interceptor,
 * pipe or handler of the host ever sees an unverified call. Begins the call's {@link WebhookCall},
 * and ends it when the call is refused.
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  constructor(
    private readonly verification: WebhookVerificationService,
    private readonly telemetry: SmsWebhookTelemetry,
    private readonly tracing: SmsWebhookTracing,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WebhookHttpRequest>();
    const call = WebhookCall.begin(request, this.telemetry, this.tracing);
    try {
      call.verified = await call.trace.step('verify', () => this.verification.verify(request));
      return true;
    } catch (error) {
      call.refused(error);
      throw error;
    }
  }
}
