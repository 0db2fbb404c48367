import { validateSync, type ValidationError } from 'class-validator';
import { SMS_WEBHOOK_PAYLOAD_FIELDS, SmsEventPayloadDto } from './sms-event-payload.dto';

/** A verified body, parsed and checked. `payload` is what gets stored either way. */
export type ParsedWebhookPayload =
  { valid: true; payload: Record<string, unknown>; dto: SmsEventPayloadDto } | { valid: false; payload: unknown; problems: string[] };

/** PostgreSQL text and jsonb cannot hold NUL; such bodies are refused and kept with NUL replaced. */
const NUL = /\u0000|\\u0000/;
const ALL_NUL = new RegExp(NUL.source, 'g');
const MAX_NESTING = 32;
/** A UTF-16 surrogate not part of a pair (with the `u` flag, paired ones are one code point). */
const LONE_SURROGATE = /\p{Surrogate}/u;
const ALL_LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'gu');

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
  if (!isWellFormedDeep(parsed)) {
    return {
      valid: false,
      payload: toWellFormedDeep(parsed),
      problems: ['body contains a lone UTF-16 surrogate escape (such as \\ud800), which cannot be stored; it is kept as U+FFFD'],
    };
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

/** Whether every string and key is well-formed Unicode (PostgreSQL's jsonb refuses lone surrogates). */
function isWellFormedDeep(value: unknown): boolean {
  if (typeof value === 'string') return !LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null) return true;
  return Object.entries(value).every(([key, child]) => !LONE_SURROGATE.test(key) && isWellFormedDeep(child));
}

/** A copy with each lone surrogate replaced by U+FFFD. */
function toWellFormedDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(ALL_LONE_SURROGATES, '\ufffd');
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(toWellFormedDeep);
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [key.replace(ALL_LONE_SURROGATES, '\ufffd'), toWellFormedDeep(child)]),
  );
}

function nestingDepth(value: unknown, depth = 0): number {
  if (typeof value !== 'object' || value === null || depth > MAX_NESTING) return depth;
  let deepest = depth;
  for (const child of Object.values(value)) deepest = Math.max(deepest, nestingDepth(child, depth + 1));
  return deepest;
}
