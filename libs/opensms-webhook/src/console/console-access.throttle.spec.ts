import { CONSOLE_ACCESS_FAILURE_LIMIT, CONSOLE_ACCESS_MAX_CLIENTS, CONSOLE_ACCESS_WINDOW_MS } from './console.constants';
import { ConsoleAccessThrottle, consoleClientOf } from './console-access.throttle';

describe('ConsoleAccessThrottle', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2024-05-01T10:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  const failTimes = (throttle: ConsoleAccessThrottle, client: string, times: number) => {
    for (let n = 0; n < times; n++) throttle.failed(client);
  };

  it('lets a client fail 10 times per minute, then holds it off until the minute of its first failure has passed', () => {
    expect([CONSOLE_ACCESS_FAILURE_LIMIT, CONSOLE_ACCESS_WINDOW_MS]).toEqual([10, 60_000]);
    const throttle = new ConsoleAccessThrottle();
    throttle.failed('203.0.113.7');
    jest.advanceTimersByTime(20_000);
    failTimes(throttle, '203.0.113.7', 8);
    expect(throttle.retryAfterMs('203.0.113.7')).toBe(0);

    expect(throttle.failed('203.0.113.7')).toEqual({ failures: 10, since: new Date('2024-05-01T10:00:00Z'), limitReached: true });
    expect(throttle.retryAfterMs('203.0.113.7')).toBe(40_000);
    jest.advanceTimersByTime(39_999);
    expect(throttle.retryAfterMs('203.0.113.7')).toBe(1);

    jest.advanceTimersByTime(1);
    expect(throttle.retryAfterMs('203.0.113.7')).toBe(0);
    expect(throttle.failed('203.0.113.7')).toEqual({ failures: 1, since: new Date('2024-05-01T10:01:00Z'), limitReached: false });
  });

  it('reports the limit reached once per window, however many failures follow', () => {
    const throttle = new ConsoleAccessThrottle();
    const reached = Array.from({ length: 30 }, () => throttle.failed('203.0.113.7').limitReached);
    expect(reached.filter(Boolean)).toHaveLength(1);
    expect(reached.indexOf(true)).toBe(9);
  });

  it('counts each client on its own: one held off, another still let through', () => {
    const throttle = new ConsoleAccessThrottle();
    failTimes(throttle, '203.0.113.7', 10);
    failTimes(throttle, '198.51.100.1', 9);
    expect(throttle.retryAfterMs('203.0.113.7')).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('198.51.100.1')).toBe(0);
    expect(throttle.retryAfterMs('192.0.2.1')).toBe(0);
  });

  it('keeps at most maxClients, forgetting the oldest first', () => {
    expect(CONSOLE_ACCESS_MAX_CLIENTS).toBe(10_000);
    const throttle = new ConsoleAccessThrottle(3, 60_000, 2);
    failTimes(throttle, 'first', 3);
    jest.advanceTimersByTime(1000);
    failTimes(throttle, 'second', 3);
    jest.advanceTimersByTime(1000);
    throttle.failed('third');
    expect(throttle.size).toBe(2);
    expect(throttle.retryAfterMs('first')).toBe(0);
    expect(throttle.retryAfterMs('second')).toBe(59_000);
  });

  it('forgets a client whose window has passed when it is asked about', () => {
    const throttle = new ConsoleAccessThrottle();
    throttle.failed('203.0.113.7');
    jest.advanceTimersByTime(CONSOLE_ACCESS_WINDOW_MS);
    expect(throttle.retryAfterMs('203.0.113.7')).toBe(0);
    expect(throttle.size).toBe(0);
  });
});

describe('consoleClientOf', () => {
  it('names a client by its address: IPv4 as given, an IPv4-mapped IPv6 address as IPv4, IPv6 by its /64 network', () => {
    expect(consoleClientOf({ ip: '203.0.113.7' })).toBe('203.0.113.7');
    expect(consoleClientOf({ ip: '::ffff:203.0.113.7' })).toBe('203.0.113.7');
    expect(consoleClientOf({ ip: '2001:db8:1:2:aaaa::1' })).toBe('2001:db8:1:2::/64');
    expect(consoleClientOf({ ip: '2001:db8:1:2:bbbb:cccc:dddd:eeee' })).toBe('2001:db8:1:2::/64');
    expect(consoleClientOf({ ip: '2001:db8::1' })).toBe('2001:db8:0:0::/64');
    expect(consoleClientOf({ ip: '::1' })).toBe('::1');
    expect(consoleClientOf({ socket: { remoteAddress: '198.51.100.1' } })).toBe('198.51.100.1');
    expect(consoleClientOf({})).toBe('unknown');
  });
});
