import { consoleRoot, type ConsoleHttpRequest, requestOrigin } from './console.http';

function request(url: string, originalUrl?: string): ConsoleHttpRequest {
  return { url, headers: {}, ...(originalUrl === undefined ? {} : { originalUrl }) } as ConsoleHttpRequest;
}

describe('consoleRoot', () => {
  it('is the path above the route, global prefix included, without query or trailing slash', () => {
    expect(consoleRoot(request('/api/opensms/events/1?done=replayed'), 2)).toBe('/api/opensms');
    expect(consoleRoot(request('/opensms/'), 0)).toBe('/opensms');
    expect(consoleRoot(request('/events', '/mounted/opensms/events'), 1)).toBe('/mounted/opensms');
  });

  it('takes only the path of an absolute-form target, never its scheme or host', () => {
    expect(consoleRoot(request('http://evil.example/opensms/events/1'), 2)).toBe('/opensms');
    expect(consoleRoot(request('/x', 'HTTPS://evil.example:8443/opensms?x=http://evil.example/'), 0)).toBe('/opensms');
  });

  it('never reads as another host: repeated slashes collapse, backslashes are encoded', () => {
    expect(consoleRoot(request('//evil.example/opensms/pause'), 1)).toBe('/evil.example/opensms');
    expect(consoleRoot(request('/\\evil.example/opensms'), 0)).toBe('/%5Cevil.example/opensms');
  });
});

describe('requestOrigin', () => {
  const addressed = (host: string | undefined, protocol = 'http', adapterHost?: string) =>
    requestOrigin({ url: '/opensms', method: 'POST', headers: { host }, protocol, host: adapterHost });

  it("is the request's protocol and host as a browser writes an origin: lower case, no default port", () => {
    expect(addressed('Ops.Example.com:443', 'https')).toBe('https://ops.example.com');
    expect(addressed('127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(addressed('[::1]:8080')).toBe('http://[::1]:8080');
  });

  it("prefers the adapter's host (X-Forwarded-Host behind a trusted proxy) to the Host header", () => {
    expect(addressed('10.0.0.5:3000', 'https', 'ops.example.com')).toBe('https://ops.example.com');
  });

  it('is undefined without a host, or for one that is not a host', () => {
    expect(addressed(undefined)).toBeUndefined();
    expect(addressed('evil.example/path')).toBeUndefined();
    expect(addressed('user@ops.example.com')).toBeUndefined();
    expect(addressed('bad host')).toBeUndefined();
  });
});
