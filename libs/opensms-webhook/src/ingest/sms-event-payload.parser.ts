import { validateSync, type ValidationError } from 'class-validator';
import { SMS_WEBHOOK_PAYLOAD_FIELDS, SmsEventPayloadDto } from './sms-event-payload.dto';

/** A verified body, parsed and checked. `payload` is what gets stored either way. */
export type ParsedWebhookPayload =
  | { valid: true; payload: Record<string, unknown>; dto: SmsEventPayloadDto }
  | { valid: false; payload: unknown; problems: string[] };

/** PostgreSQL text and jsonb cannot hold NUL; such bodies are refused and kept with NUL replaced. */
const NUL = /\u0000|\\u0000/;
const ALL_NUL = new RegExp(NUL.source, 'g');
const MAX_NESTING = 32;

/** Parses and validates the raw (already verified) body. Never throws. */
export function parseSmsEventPayload(rawBody: Buffer): ParsedWebhookPayload {
  const text = rawBody.toString('utf8');
  if (NUL.test(text)) {
    return { valid: false, payload: text.replace(ALL_NUL, '\ufffd'), problems: ['body contains NUL characters'] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { valid: false, payload: text, problems: [`body is not JSON: ${(error as Error).message}`] };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { valid: false, payload: parsed, problems: ['body must be a JSON object'] };
  }
  if (nestingDepth(parsed) > MAX_NESTING) {
    return { valid: false, payload: text, problems: [`body is nested deeper than ${MAX_NESTING} levels`] };
  }

  const payload = parsed as Record<string, unknown>;
  const dto = new SmsEventPayloadDto();
  for (const field of SMS_WEBHOOK_PAYLOAD_FIELDS) {
    if (Object.prototype.hasOwnProperty.call(payload, field)) (dto as unknown as Record<string, unknown>)[field] = payload[field];
  }
  const errors = validateSync(dto, { forbidUnknownValues: true });
  return errors.length === 0 ? { valid: true, payload, dto } : { valid: false, payload, problems: describe(errors) };
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

function nestingDepth(value: unknown, depth = 0): number {
  if (typeof value !== 'object' || value === null || depth > MAX_NESTING) return depth;
  let deepest = depth;
  for (const child of Object.values(value)) deepest = Math.max(deepest, nestingDepth(child, depth + 1));
  return deepest;
}
