/** `scheme://host:port/path` of a URL, without its user name, password, query and fragment: safe to print. */
export function describeUrl(url: string | URL): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the given URL (not a valid URL)';
  }
}
