import { InvalidRedisUrlError } from '../errors/invalid-redis-url.error';
import { redisOptionsFromUrl } from './redis-url';

describe('redisOptionsFromUrl', () => {
  it('reads host and port, with the Redis defaults', () => {
    expect(redisOptionsFromUrl('redis://cache.internal:6380')).toEqual({ host: 'cache.internal', port: 6380 });
    expect(redisOptionsFromUrl('redis://cache.internal')).toEqual({ host: 'cache.internal', port: 6379 });
  });

  it('keeps TLS for rediss://, verifying the certificate against the host name', () => {
    expect(redisOptionsFromUrl('rediss://cache.example.com:6380')).toEqual({
      host: 'cache.example.com',
      port: 6380,
      tls: { servername: 'cache.example.com' },
    });
  });

  it('keeps the user name, the password (percent-decoded) and the database number', () => {
    expect(redisOptionsFromUrl('rediss://ops%40team:p%40ss%3Aw0rd@10.0.0.5:6379/3')).toEqual({
      host: '10.0.0.5',
      port: 6379,
      username: 'ops@team',
      password: 'p@ss:w0rd',
      db: 3,
      tls: {},
    });
  });

  it('reads a password without a user name (the default user) and an IPv6 host', () => {
    expect(redisOptionsFromUrl('redis://:secret@[::1]:6379/0')).toEqual({ host: '::1', port: 6379, password: 'secret', db: 0 });
  });

  it('refuses what is not a Redis URL, saying which form it needs', () => {
    expect(() => redisOptionsFromUrl('http://127.0.0.1:6379')).toThrow(InvalidRedisUrlError);
    expect(() => redisOptionsFromUrl('127.0.0.1:6379')).toThrow(/redis:\/\/\[user:password@\]host/);
    expect(() => redisOptionsFromUrl('redis:///0')).toThrow(/no host/);
    expect(() => redisOptionsFromUrl('redis://127.0.0.1:6379/cache')).toThrow(/database "cache" is not a number/);
  });
});
