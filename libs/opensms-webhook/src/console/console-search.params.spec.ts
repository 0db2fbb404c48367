import { readSearch, searchQueryString } from './console-search.params';

describe('readSearch', () => {
  it('turns the form into a filter, reading times as UTC', () => {
    const search = readSearch({
      messageId: ' msg_1 ',
      phone: '+254712345678',
      event: 'sms.failed',
      state: 'dead',
      tenant: 'acme',
      after: '2025-11-30T14:05',
      before: '2025-12-01T00:00:00Z',
      cursor: 'c',
    });
    expect(search.problems).toEqual([]);
    expect(search.cursor).toBe('c');
    expect(search.filter).toEqual({
      messageId: 'msg_1',
      phone: '+254712345678',
      event: 'sms.failed',
      state: 'dead',
      tenant: 'acme',
      receivedAfter: new Date('2025-11-30T14:05:00Z'),
      receivedBefore: new Date('2025-12-01T00:00:00Z'),
    });
  });

  it('leaves out, and names, what it cannot read', () => {
    const search = readSearch({ state: 'lost', after: 'yesterday', phone: ['+1', '+2'] });
    expect(search.filter).toEqual({});
    expect(search.problems).toEqual(['Unknown state "lost"', 'Received after is not a date and time (e.g. 2025-11-30T14:05)']);
  });

  it('writes the form back as a query string, empty fields left out', () => {
    const { form } = readSearch({ messageId: 'a&b', state: 'dead' });
    expect(searchQueryString(form, { cursor: 'x' })).toBe('?messageId=a%26b&state=dead&cursor=x');
    expect(searchQueryString(readSearch({}).form)).toBe('');
  });
});
