/** `scheme://host:port/path` of a URL, without its user name, password, query and fragment: safe to print. */
export function describeUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the given URL (not a valid URL)';
  }
}

/** Whether a URL's host is this machine: `localhost`, an address of 127.0.0.0/8, or `::1` (as `new URL` spells them). */
export function isLoopbackHost(url: URL): boolean {
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
