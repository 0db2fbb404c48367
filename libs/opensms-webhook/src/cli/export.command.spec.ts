import { phonePseudonyms, withoutPhones } from './export.command';

describe('phonePseudonyms', () => {
  it('gives one number one stand-in, an E.164 number of country code 999, and another key other stand-ins', () => {
    const pseudonym = phonePseudonyms();
    const standIn = pseudonym('+254712345678');

    expect(standIn).toMatch(/^\+999\d{11}$/);
    expect(pseudonym('+254712345678')).toBe(standIn);
    expect(pseudonym('+254712345679')).not.toBe(standIn);
    expect(phonePseudonyms()('+254712345678')).not.toBe(standIn);
  });
});

describe('withoutPhones', () => {
  const pseudonym = (phone: string) => `<${phone.length}>`;

  it('replaces every string under a phone key, at any depth, and keeps the rest', () => {
    const payload = {
      event: 'sms.delivered',
      phone: '+254712345678',
      contact: { phone: '0712 345 678', name: 'x' },
      list: [{ phone: '+1' }],
    };
    expect(withoutPhones(payload, pseudonym)).toEqual({
      event: 'sms.delivered',
      phone: '<13>',
      contact: { phone: '<12>', name: 'x' },
      list: [{ phone: '<2>' }],
    });
  });

  it('leaves out a payload that is text, where a number cannot be found reliably', () => {
    expect(withoutPhones('phone=+254712345678', pseudonym)).toBeNull();
  });
});
