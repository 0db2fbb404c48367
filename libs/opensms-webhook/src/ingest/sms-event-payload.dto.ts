import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import { isKnownSmsEvent, SMS_STATUSES } from '../events/sms-event-types';

/** E.164: a plus sign, then 8 to 15 digits, the first not 0. */
export const E164 = /^\+[1-9]\d{7,14}$/;

/** Event names: letters, digits and `.`, `_`, `:`, `-` (safe in logs, URLs and metric labels). */
export const EVENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

/** Longest accepted text of the payload's fields. */
export const PAYLOAD_MAX_LENGTHS = { event: 100, message_id: 255, error: 2000 } as const;

/**
 * The ISO 8601 forms `Date` reads the same everywhere: a calendar date, optionally with a time and
 * an offset. Week dates (`2026-W02-1`), ordinal dates (`2026-013`) and the compact form
 * (`20260113T120000Z`) are valid ISO 8601 but unreadable, so they are refused.
 */
const CALENDAR_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A timestamp this library can store and compare: see {@link CALENDAR_DATE_TIME}. */
function IsReadableTimestamp(): PropertyDecorator {
  return ValidateBy({
    name: 'isReadableTimestamp',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && CALENDAR_DATE_TIME.test(value) && Number.isFinite(Date.parse(value)),
      defaultMessage: () => 'timestamp must be a calendar date and time such as 2026-01-13T12:00:00Z',
    },
  });
}

const isKnown = (payload: SmsEventPayloadDto) => isKnownSmsEvent(payload.event);

/**
 * A webhook body as OpenSMS sends it. Known events (`sms.delivered|failed|pending`) are checked in
 * full; events of types this version does not know need only `event`, so that new OpenSMS event
 * kinds are stored rather than refused.
 */
export class SmsEventPayloadDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(PAYLOAD_MAX_LENGTHS.event)
  @Matches(EVENT_NAME, { message: 'event may hold only letters, digits, ".", "_", ":" and "-"' })
  event: string;

  @ValidateIf((payload: SmsEventPayloadDto) => isKnown(payload) || payload.message_id !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(PAYLOAD_MAX_LENGTHS.message_id)
  message_id?: string;

  @ValidateIf((payload: SmsEventPayloadDto) => isKnown(payload) || payload.phone !== undefined)
  @IsString()
  @Matches(E164, { message: 'phone must be an E.164 number such as +254712345678' })
  phone?: string;

  @ValidateIf(isKnown)
  @IsIn(SMS_STATUSES)
  status?: string;

  @IsOptional()
  @IsString()
  @MaxLength(PAYLOAD_MAX_LENGTHS.error)
  error?: string;

  @ValidateIf((payload: SmsEventPayloadDto) => isKnown(payload) || payload.timestamp !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  @IsReadableTimestamp()
  timestamp?: string;
}

/** Fields copied from the parsed body into the DTO; nothing else of the body is read. */
export const SMS_WEBHOOK_PAYLOAD_FIELDS = ['event', 'message_id', 'phone', 'status', 'error', 'timestamp'] as const;
