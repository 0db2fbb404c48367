import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { isKnownSmsEvent, SMS_STATUSES } from '../events/sms-event-types';

/** E.164: a plus sign, then 8 to 15 digits, the first not 0. */
const E164 = /^\+[1-9]\d{7,14}$/;

const isKnown = (payload: SmsEventPayloadDto) => isKnownSmsEvent(payload.event);

/**
 * A webhook body as OpenSMS sends it. Known events (`sms.delivered|failed|pending`) are checked in
 * full; events of types this version does not know need only `event`, so that new OpenSMS event
 * kinds are stored rather than refused.
 */
export class SmsEventPayloadDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  event: string;

  @ValidateIf((payload: SmsEventPayloadDto) => isKnown(payload) || payload.message_id !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
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
  @MaxLength(2000)
  error?: string;

  @ValidateIf((payload: SmsEventPayloadDto) => isKnown(payload) || payload.timestamp !== undefined)
  @IsISO8601({ strict: true, strictSeparator: true })
  timestamp?: string;
}

/** Fields copied from the parsed body into the DTO; nothing else of the body is read. */
export const SMS_WEBHOOK_PAYLOAD_FIELDS = ['event', 'message_id', 'phone', 'status', 'error', 'timestamp'] as const;
