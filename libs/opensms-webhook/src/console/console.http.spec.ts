import { consoleRoot, type ConsoleHttpRequest } from './console.http';

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
