import { printable } from './printable';

describe('printable', () => {
  it('keeps ordinary text, accents and emoji as they are', () => {
    expect(printable('msg_123 +254712345678 héllo ✓ 📨')).toBe('msg_123 +254712345678 héllo ✓ 📨');
  });

  it('writes line breaks, terminal escapes and C1 controls as visible escapes', () => {
    expect(printable('a\nHTTP 200\r\tb')).toBe('a\\nHTTP 200\\r\\tb');
    expect(printable('\u001b[31mred\u001b]0;title\u0007\u007f\u009b')).toBe('\\x1b[31mred\\x1b]0;title\\x07\\x7f\\x9b');
  });

  it('escapes bidirectional overrides and Unicode line separators', () => {
    expect(printable('evil\u202egnp.exe\u2028next\u2066')).toBe('evil\\u202egnp.exe\\u2028next\\u2066');
  });
});
