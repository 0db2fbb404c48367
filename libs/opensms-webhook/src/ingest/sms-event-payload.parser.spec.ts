import { parseSmsEventPayload } from './sms-event-payload.parser';
import { smsEventPayload } from '../testing/sms-event-payload';

const VALID = smsEventPayload({ event: 'sms.failed' });

const parse = (body: unknown) => parseSmsEventPayload(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));

function problemsOf(body: unknown): string[] {
  const result = parse(body);
  if (result.valid) throw new Error('expected the payload to be refused');
  return result.problems;
}

describe('parseSmsEventPayload', () => {
  it('accepts a payload as OpenSMS sends it and keeps the whole body', () => {
    const result = parse({ ...VALID, extra: { nested: true } });
    expect(result.valid).toBe(true);
    if (!result.valid) return;
    expect(result.payload).toEqual({ ...VALID, extra: { nested: true } });
    expect(result.dto).toMatchObject(VALID);
  });

  it('accepts offsets and fractional seconds in the timestamp', () => {
    expect(parse({ ...VALID, timestamp: '2024-01-13T15:00:00.123+03:00' }).valid).toBe(true);
  });

  it('refuses an unknown status', () => {
    expect(problemsOf({ ...VALID, status: 'lost' }).join()).toMatch(/status must be one of/);
  });

  it.each(['254712345678', '+0712345678', '+1234', '+2547123456789012', '+25471234567a', 12345678])(
    'refuses a phone that is not E.164: %p',
    (phone) => {
      expect(problemsOf({ ...VALID, phone }).join()).toMatch(/phone must be an E.164 number/);
    },
  );

  it.each(['yesterday', '2024-13-01T00:00:00Z', '2024-01-13 12:00:00Z', '', 1705147200])('refuses a bad timestamp: %p', (timestamp) => {
    expect(problemsOf({ ...VALID, timestamp }).join()).toMatch(/timestamp must be a valid ISO 8601/);
  });

  it('refuses a known event without message_id, or with an empty one', () => {
    const { message_id: _omitted, ...withoutId } = VALID;
    expect(problemsOf(withoutId).join()).toMatch(/message_id/);
    expect(problemsOf({ ...VALID, message_id: '' }).join()).toMatch(/message_id should not be empty/);
  });

  it('lists every problem of a body', () => {
    expect(problemsOf({ event: 'sms.delivered' }).length).toBeGreaterThanOrEqual(4);
  });

  it('refuses a body that is not JSON, keeping its text', () => {
    const result = parse('{"event": "sms.delivered",');
    expect(result).toEqual({ valid: false, payload: '{"event": "sms.delivered",', problems: [expect.stringMatching(/^body is not JSON/)] });
    expect(problemsOf('').join()).toMatch(/^body is not JSON/);
  });

  it.each([['[1,2]'], ['"sms.delivered"'], ['42'], ['null'], ['true']])('refuses JSON that is not an object: %s', (body) => {
    expect(problemsOf(body)).toEqual(['body must be a JSON object']);
  });

  it('accepts an event type this version does not know with only `event`', () => {
    const result = parse({ event: 'sms.clicked' });
    expect(result.valid).toBe(true);
    expect(problemsOf({}).join()).toMatch(/event/);
    expect(problemsOf({ event: 42 }).join()).toMatch(/event must be a string/);
  });

  it('still checks the optional fields an unknown event does carry', () => {
    expect(problemsOf({ event: 'sms.clicked', phone: 'nope' }).join()).toMatch(/E.164/);
    expect(problemsOf({ event: 'sms.clicked', timestamp: 'nope' }).join()).toMatch(/ISO 8601/);
  });

  it('refuses NUL characters, raw or escaped, and keeps the body without them', () => {
    for (const body of [`{"event":"sms.x","note":"a\u0000b"}`, '{"event":"sms.x","note":"a\\u0000b"}']) {
      const result = parse(body);
      expect(result).toMatchObject({ valid: false, problems: ['body contains NUL characters'] });
      expect(JSON.stringify(result.payload)).not.toMatch(/\\u0000/);
    }
  });

  it('refuses deep nesting without overflowing the stack', () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    expect(problemsOf(`{"event":"sms.x","x":${deep}}`)).toEqual(['body is nested deeper than 32 levels']);
    expect(parse({ event: 'sms.x', x: { a: { b: { c: 1 } } } }).valid).toBe(true);
  });

  it('does not let __proto__ or constructor keys reach the prototype', () => {
    const result = parse(`{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"event":"sms.x"}`);
    expect(result.valid).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('uses the last of duplicate keys, as JSON.parse does', () => {
    const result = parse('{"event":"sms.delivered","event":"sms.clicked"}');
    expect(result).toMatchObject({ valid: true, payload: { event: 'sms.clicked' } });
  });
});
