import { printable, printableJson } from './printable';

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

  it('escapes every bidirectional control: marks, embeddings, overrides and isolates', () => {
    const controls = '\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069';
    for (const control of [...controls]) {
      const code = control.charCodeAt(0).toString(16).padStart(4, '0');
      expect(printable(`msg${control}_1`)).toBe(`msg\\u${code}_1`);
    }
    expect(printable('\u200f\u202e1gnp.exe\u2069\u200e')).toBe('\\u200f\\u202e1gnp.exe\\u2069\\u200e');
  });

  it('makes one line of a value that tries to forge a second, coloured one', () => {
    const forged = printable('alice\n\u001b[31mConsole: root replayed everything\u001b[0m');
    expect(forged).toBe('alice\\n\\x1b[31mConsole: root replayed everything\\x1b[0m');
    expect(forged).not.toMatch(/[\n\u001b]/);
  });
});

describe('printableJson', () => {
  it('is JSON of the same value, on one line, with nothing a terminal would act on', () => {
    const value = { error: 'boom \u001b[2J\nnext\u009b\u202e', phone: '+254712345678', note: 'héllo ✓' };
    const text = printableJson(value);

    expect(JSON.parse(text)).toEqual(value);
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('\\u009b\\u202e');
    expect(text).toContain('héllo ✓');
  });
});
