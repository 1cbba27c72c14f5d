/** Parses an http(s) address a person typed: no scheme means `defaultScheme`; anything but http/https is refused. */
export function parseHttpUrl(raw: string, defaultScheme: 'http' | 'https', what: string, example: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${defaultScheme}://${raw}`);
  } catch {
    throw new TypeError(`${what}: not a valid URL (expected e.g. ${example})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${what}: unsupported scheme "${url.protocol}" (expected https: or http:)`);
  }
  return url;
}
