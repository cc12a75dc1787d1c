// Destinations as scheme, host and port, compared separately: what a manifest declares, what
// the host grants, and what a request addresses. Mirrors host-harness/host/src/origin.rs.

/**
 * @typedef {object} Origin
 * @property {'http' | 'https'} scheme
 * @property {string} host lower case; an IPv6 address without brackets
 * @property {number} port explicit, or the scheme's default
 */

const DEFAULT_PORT = { http: 80, https: 443 };

/** Twilio's REST API, the one destination granted by default. */
export const TWILIO_ORIGIN = Object.freeze({ scheme: 'https', host: 'api.twilio.com', port: 443 });

/**
 * Parses a bare origin (`https://api.twilio.com:443`): http or https, no user, path, query,
 * fragment or wildcard.
 *
 * @param {string} text
 * @returns {Origin}
 */
export function parseOrigin(text) {
  const fail = (problem) =>
    new Error(
      `'${text}' is not a usable destination: ${problem}. Write it as scheme://host:port, ` +
        'for example https://api.twilio.com:443',
    );
  let url;
  try {
    url = new URL(String(text).trim());
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e));
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https') {
    throw fail(`the scheme must be http or https, not '${scheme}'`);
  }
  if (url.username || url.password) throw fail('it must not contain a user name or password');
  if (url.pathname !== '/' || url.search || url.hash) {
    throw fail('it must not have a path, query or fragment');
  }
  if (url.hostname.includes('*') || url.hostname.includes('%2a')) {
    throw fail('wildcards are not allowed');
  }
  if (!url.hostname) throw fail('it has no host');
  return {
    scheme,
    host: url.hostname.replace(/^\[|\]$/g, '').toLowerCase(),
    port: url.port ? Number(url.port) : DEFAULT_PORT[scheme],
  };
}

/**
 * The origin a wasi:http request addresses, or null when it has no http(s) scheme or host.
 *
 * @param {{ tag: string, val?: string } | undefined} scheme the request's wasi:http scheme
 * @param {string | undefined} authority `host` or `host:port`
 * @returns {Origin | null}
 */
export function requestOrigin(scheme, authority) {
  // wasi:http: a request without a scheme is https.
  const name = scheme === undefined ? 'https' : scheme.tag === 'other' ? scheme.val : scheme.tag;
  const lower = String(name).toLowerCase();
  if ((lower !== 'http' && lower !== 'https') || !authority) return null;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority);
  if (!match) return null;
  return {
    scheme: lower,
    host: match[1].replace(/^\[|\]$/g, '').toLowerCase(),
    port: match[2] === undefined ? DEFAULT_PORT[lower] : Number(match[2]),
  };
}

/** @param {Origin} a @param {Origin} b */
export function sameOrigin(a, b) {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}

/** @param {Origin} o */
export function authorityOf(o) {
  return o.host.includes(':') ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
}

/** @param {Origin} o */
export function formatOrigin(o) {
  return `${o.scheme}://${authorityOf(o)}`;
}

/**
 * An IP address or a local name (`localhost`, `*.localhost`): never reachable by the plugin
 * unless the host allows local destinations (tests only).
 *
 * @param {Origin} o
 */
export function isLocal(o) {
  const h = o.host;
  return (
    /^\d{1,3}(\.\d{1,3}){3}$/.test(h) ||
    h.includes(':') ||
    h === 'localhost' ||
    h.endsWith('.localhost')
  );
}
