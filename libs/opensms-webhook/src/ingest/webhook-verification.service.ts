import {
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  PayloadTooLargeException,
  UnauthorizedException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { RawBodyMissingError } from '../errors/raw-body-missing.error';
import { SecretResolverFailedError } from '../errors/secret-resolver-failed.error';
import { FailureBurst } from '../internal/failure-burst';
import { OPENSMS_RESOLVED_OPTIONS } from '../opensms-webhook.constants';
import { printable } from '../internal/printable';
import { describeError, messages } from '../opensms-webhook.messages';
import type {
  ResolvedOpenSmsWebhookOptions,
  WebhookPublicKeys,
  WebhookSecretResolution,
  WebhookSecrets,
  WebhookTenantSecrets,
} from '../opensms-webhook-options.interface';
import type {
  SignatureVerification,
  SignatureVerifier,
  SignedWebhookRequest,
  WebhookRequestHeaders,
} from '../opensms-webhook-verifier.interface';
import type { VerifiedWebhookCall, WebhookHttpRequest } from './webhook-call';
import { headerValue, isJsonContentType } from './webhook-request';
import { decodeWebhookPublicKeys } from './webhook-ed25519-key';
import { decodeWebhookSecrets } from './webhook-secret';

/** The 401 text of every call whose signature does not verify, whatever the reason inside. */
const NO_MATCH = 'Invalid webhook signature: no signature matches';
/** Longest tenant name a resolver may return. */
const MAX_TENANT_LENGTH = 200;

/**
 * The signature check of a webhook call: passes only when its signature over the exact raw bytes
 * is valid, after cheap checks of content type (415), size (413) and the scheme's secret-free
 * checks (headers, timestamp). Only then is `tenants.secretResolver` asked; nothing of the body is
 * read before that. Throws the HTTP error of the answer otherwise.
 */
@Injectable()
export class WebhookVerificationService {
  private readonly logger = new Logger('OpenSmsWebhook');
  private rawBodyWarningLogged = false;
  private readonly resolverFailures = new FailureBurst(this.logger, 60_000);
  /** Verifies calls of unknown tenants, so that they cost and answer what a wrong signature does. */
  private readonly decoyKey = randomBytes(32);

  constructor(@Inject(OPENSMS_RESOLVED_OPTIONS) private readonly options: ResolvedOpenSmsWebhookOptions) {}

  /** What the signature of `request` establishes, or the HTTP error that answers it. */
  async verify(request: WebhookHttpRequest): Promise<VerifiedWebhookCall> {
    const { headers } = request;
    if (!isJsonContentType(headerValue(headers, 'content-type'))) {
      throw new UnsupportedMediaTypeException('Content-Type must be application/json');
    }
    const limit = this.options.ingest.bodyLimitBytes;
    if (Number(headerValue(headers, 'content-length') ?? 0) > limit) this.tooLarge();
    const rawBody = this.rawBodyOf(request);
    if (rawBody.length > limit) this.tooLarge();

    const { toleranceSeconds } = this.options.ingest;
    const signed = { headers, rawBody };
    const nowSeconds = Math.floor(Date.now() / 1000);
    const schemes = this.schemesPassingPrecheck(signed, toleranceSeconds, nowSeconds);

    const { tenant, keyed, secrets } = await this.keysFor(headers);
    const attempts = keyed ?? schemes.map((scheme) => ({ scheme, keys: [this.decoyKey] }));
    let verification: SignatureVerification = { valid: false, reason: 'no signature matches' };
    let verifiedBy: SignatureVerifier | undefined;
    for (const { scheme, keys } of attempts.filter((attempt) => schemes.includes(attempt.scheme))) {
      try {
        verification = await scheme.verify(signed, keys, toleranceSeconds, nowSeconds);
      } catch (error) {
        const allKeys = attempts.flatMap((attempt) => attempt.keys);
        this.logger.warn(messages.verifierThrew(scheme.name, redactSecrets(error, secrets, allKeys)));
        throw new UnauthorizedException('Invalid webhook signature: the signature could not be checked');
      }
      if (verification?.valid === true) {
        verifiedBy = scheme;
        break;
      }
    }
    if (keyed === undefined) {
      this.logger.warn(messages.unknownTenant());
      throw new UnauthorizedException(verification?.valid === true ? NO_MATCH : `Invalid webhook signature: ${reasonOf(verification)}`);
    }
    if (verifiedBy === undefined) this.reject(reasonOf(verification));
    return { rawBody, tenant, deliveryId: verifiedBy.deliveryId?.(signed) };
  }

  /**
   * The schemes that may verify this call (the secrets' scheme, and Standard Webhooks `v1a` where
   * public keys may be given) whose checks needing no key pass. When none passes, the call is
   * answered 401 with their reasons.
   */
  private schemesPassingPrecheck(signed: SignedWebhookRequest, toleranceSeconds: number, nowSeconds: number): SignatureVerifier[] {
    const reasons: string[] = [];
    const passing = this.options.schemes.filter((scheme) => {
      const precheck = scheme.precheck?.(signed, toleranceSeconds, nowSeconds);
      if (precheck === undefined || precheck.valid === true) return true;
      if (!reasons.includes(precheck.reason)) reasons.push(precheck.reason);
      return false;
    });
    if (passing.length === 0) this.reject(reasons.join('; '));
    return passing;
  }

  private reject(reason: string): never {
    this.logger.warn(messages.rejectedSignature(reason));
    throw new UnauthorizedException(`Invalid webhook signature: ${reason}`);
  }

  private rawBodyOf(request: WebhookHttpRequest): Buffer {
    if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
    const hasBody =
      Number(headerValue(request.headers, 'content-length') ?? 0) > 0 || headerValue(request.headers, 'transfer-encoding') !== undefined;
    if (!hasBody) return Buffer.alloc(0);
    const error = new RawBodyMissingError();
    if (!this.rawBodyWarningLogged) {
      this.rawBodyWarningLogged = true;
      this.logger.error(error.message);
    }
    throw new InternalServerErrorException(error.message);
  }

  /**
   * Asks `tenants.secretResolver` (or the static configuration) for the request's tenant and keys:
   * the secrets for the secrets' scheme, the public keys for Standard Webhooks `v1a`. `keyed` is
   * `undefined` for an unknown tenant or an unusable answer (the call is then answered like a
   * wrong signature). A resolver that throws is a 503, logged once per burst of failures.
   */
  private async keysFor(
    headers: WebhookRequestHeaders,
  ): Promise<{ tenant: string | null; keyed?: SchemeKeys[]; secrets: readonly string[] }> {
    let resolved: WebhookSecretResolution;
    try {
      resolved = await this.options.secretResolver(headers);
    } catch (error) {
      this.resolverFailures.error((failures) => messages.secretResolverFailed(error, failures));
      throw new SecretResolverFailedError(error);
    }
    const recovered = this.resolverFailures.succeeded();
    if (recovered > 0) this.logger.log(messages.secretResolverRecovered(recovered));

    const { tenant, secrets, publicKeys = this.options.publicKeys } = splitResolution(resolved);
    const secretList = listOf(secrets);
    if (secretList.length === 0 && listOf(publicKeys).length === 0) return { tenant: null, secrets: [] };
    try {
      if (tenant !== null && !isUsableTenant(tenant)) {
        throw new Error(`tenant must be a non-empty printable string of at most ${MAX_TENANT_LENGTH} characters`);
      }
      const { verifier, publicKeyVerifier } = this.options;
      const keyed: SchemeKeys[] = [];
      if (secretList.length > 0)
        keyed.push({ scheme: verifier, keys: decodeWebhookSecrets(secretList, verifier.readSecret?.bind(verifier)) });
      if (listOf(publicKeys).length > 0) {
        if (publicKeyVerifier === undefined) throw new Error("publicKeys need ingest.signatureScheme 'standard-webhooks'");
        keyed.push({ scheme: publicKeyVerifier, keys: decodeWebhookPublicKeys(listOf(publicKeys)) });
      }
      return { tenant, keyed, secrets: secretList };
    } catch (error) {
      this.logger.error(messages.unusableSecret(redactSecrets(error, secretList, [])));
      return { tenant, secrets: secretList };
    }
  }

  private tooLarge(): never {
    throw new PayloadTooLargeException(`Body exceeds the limit of ${this.options.ingest.bodyLimitBytes} bytes`);
  }
}

/** A scheme and the keys it verifies with. */
interface SchemeKeys {
  scheme: SignatureVerifier;
  keys: Buffer[];
}

/** A resolver's answer as a tenant (or `null`), its secrets and its public keys (`undefined`: none). */
function splitResolution(resolved: WebhookSecretResolution): {
  tenant: string | null;
  secrets?: WebhookSecrets;
  publicKeys?: WebhookPublicKeys;
} {
  if (resolved === null || resolved === undefined) return { tenant: null };
  if (typeof resolved === 'string' || Array.isArray(resolved)) return { tenant: null, secrets: resolved as WebhookSecrets };
  const { tenant, secrets, publicKeys } = resolved as WebhookTenantSecrets;
  if (listOf(secrets).length === 0 && listOf(publicKeys).length === 0) return { tenant: null };
  return { tenant: typeof tenant === 'string' ? tenant : String(tenant), secrets, publicKeys };
}

/** One key or several as a list; nothing (or an empty string) as an empty one. */
function listOf(keys: string | readonly string[] | null | undefined): readonly string[] {
  if (keys === undefined || keys === null || keys === '') return [];
  return typeof keys === 'string' ? [keys] : keys;
}

function isUsableTenant(tenant: string): boolean {
  return tenant.length > 0 && tenant.length <= MAX_TENANT_LENGTH && printable(tenant) === tenant && !/\p{Surrogate}/u.test(tenant);
}

function reasonOf(verification: unknown): string {
  const reason = (verification as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' && reason.length > 0 ? reason.slice(0, 200) : 'the verifier did not answer { valid: true }';
}

/** An error's message with every form of the given secrets and keys (raw, base64, hex) replaced. */
function redactSecrets(error: unknown, secrets: readonly string[], keys: readonly Buffer[]): string {
  let text = describeError(error);
  const forms = [
    ...secrets,
    ...keys.flatMap((key) => [key.toString('utf8'), key.toString('base64'), key.toString('base64url'), key.toString('hex')]),
  ].filter((form) => form.length >= 4);
  for (const form of forms.sort((a, b) => b.length - a.length)) text = text.split(form).join('[secret]');
  return text;
}
