import { headerValue, isJsonContentType } from './webhook-request';

describe('isJsonContentType', () => {
  it.each(['application/json', 'Application/JSON', 'application/json; charset=utf-8', ' application/json ;charset=UTF-8'])(
    'accepts %p',
    (contentType) => expect(isJsonContentType(contentType)).toBe(true),
  );

  it.each([undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'application/vnd.api+json', 'application/jsonx'])(
    'refuses %p (its raw body is not kept by the default parsers)',
    (contentType) => expect(isJsonContentType(contentType)).toBe(false),
  );
});

describe('headerValue', () => {
  it('returns a single value, and nothing for an ambiguous repeated header', () => {
    expect(headerValue({ a: 'x' }, 'a')).toBe('x');
    expect(headerValue({ a: ['x'] }, 'a')).toBe('x');
    expect(headerValue({ a: ['x', 'y'] }, 'a')).toBeUndefined();
    expect(headerValue({}, 'a')).toBeUndefined();
  });
});
