import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { RawBodyMissingError } from '../errors/raw-body-missing.error';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { messages } from '../opensms-webhook.messages';
import type { ResolvedOpenSmsWebhookOptions } from '../opensms-webhook-options.interface';
import { decodeWebhookSecrets } from './webhook-secret';
import { headerValue, isJsonContentType, type WebhookRequestHeaders } from './webhook-request';

/** The parts of an Express or Fastify request the webhook route reads. */
export interface WebhookHttpRequest {
  headers: WebhookRequestHeaders;
  rawBody?: Buffer;
}

/**
 * Lets a webhook call through only when its signature over the exact raw bytes is valid, after
 * cheap checks of content type (415) and size (413). Nothing of the body is read before that.
 */
@Injectable()
export class SignatureGuard implements CanActivate {
  private readonly logger = new Logger('OpenSmsWebhook');
  private rawBodyWarningLogged = false;

  constructor(@Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<WebhookHttpRequest>();
    const { headers } = request;
    if (!isJsonContentType(headerValue(headers, 'content-type'))) {
      throw new UnsupportedMediaTypeException('Content-Type must be application/json');
    }
    const limit = this.options.bodyLimitBytes;
    if (Number(headerValue(headers, 'content-length') ?? 0) > limit) this.tooLarge();
    const rawBody = this.rawBodyOf(request);
    if (rawBody.length > limit) this.tooLarge();

    const keys = await this.keysFor(headers);
    const verification = this.options.verifier.verify(
      { headers, rawBody },
      keys,
      this.options.toleranceSeconds,
      Math.floor(Date.now() / 1000),
    );
    if (!verification.valid) {
      this.logger.warn(messages.rejectedSignature(verification.reason));
      throw new UnauthorizedException(`Invalid webhook signature: ${verification.reason}`);
    }
    return true;
  }

  private rawBodyOf(request: WebhookHttpRequest): Buffer {
    if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
    const hasBody =
      Number(headerValue(request.headers, 'content-length') ?? 0) > 0 ||
      headerValue(request.headers, 'transfer-encoding') !== undefined;
    if (!hasBody) return Buffer.alloc(0);
    const error = new RawBodyMissingError();
    if (!this.rawBodyWarningLogged) {
      this.rawBodyWarningLogged = true;
      this.logger.error(error.message);
    }
    throw new InternalServerErrorException(error.message);
  }

  private async keysFor(headers: WebhookRequestHeaders): Promise<Buffer[]> {
    let secrets;
    try {
      secrets = await this.options.secretResolver(headers);
    } catch (error) {
      this.logger.error(messages.secretResolverFailed(error));
      throw new ServiceUnavailableException('Webhook secret lookup failed; try again later');
    }
    if (!secrets || secrets.length === 0) throw new UnauthorizedException('Invalid webhook signature: no secret for this request');
    try {
      return decodeWebhookSecrets(secrets);
    } catch (error) {
      this.logger.error(messages.unusableSecret(error));
      throw new UnauthorizedException('Invalid webhook signature: no usable secret for this request');
    }
  }

  private tooLarge(): never {
    throw new PayloadTooLargeException(`Body exceeds the limit of ${this.options.bodyLimitBytes} bytes`);
  }
}
