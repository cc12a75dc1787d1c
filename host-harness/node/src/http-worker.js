// Runs inside preview2-shim's IO worker (loaded through its `callExtension`), where the shim
// makes the plugin's HTTP requests with node:http. It gives each request the host asked for
// the timeouts wasi:http means, and reports them with wasi:http's error codes:
//
// - connecting (TCP, and TLS for https) takes longer than the connect timeout:
//   `connection-timeout` (the request never left);
// - the request was written whole and no answer began within the first-byte timeout:
//   `connection-read-timeout` (it left; the outcome is unknown), as wasmtime's host reports;
// - the request could not be written whole in that time: `connection-write-timeout`;
// - an answer's body pauses longer than the between-bytes timeout: the body fails.
//
// preview2-shim 0.26.1 on its own uses the connect timeout as an idle timeout for all of it
// and reports every expiry as `connection-timeout`, so a server that accepted a send and never
// answered reads as "never left". The shim is asked for no timeout of its own (the host
// passes none), and this module fails the request instead: `ClientRequest.destroy` with the
// error code as a plain object, which the shim hands on to the plugin unchanged (it passes
// any rejection that has a `tag`).
//
// Requests are matched by method, host name and path, in order, to what the host announced
// (`expect`) just before it handed the request to the shim; one the host did not announce
// is left as the shim made it.

import diagnostics from 'node:diagnostics_channel';

/**
 * @typedef {object} Expected
 * @property {number} id
 * @property {string} method upper case
 * @property {string} host host name, lower case
 * @property {string} path
 * @property {number} connectMs
 * @property {number} firstByteMs
 * @property {number} betweenBytesMs
 * @property {number} at when it was announced (ms)
 */

/** How long an announcement waits for its request before it is dropped. */
const STALE_MS = 10_000;

/** @param {import('@bytecodealliance/preview2-shim/io-worker').WorkerExtensionContext} _context */
export default function create(_context) {
  /** @type {Expected[]} */
  let expected = [];
  const counts = { watched: 0, connectTimeouts: 0, readTimeouts: 0, writeTimeouts: 0 };

  diagnostics.subscribe('http.client.request.start', (message) => {
    const { request } = /** @type {{ request: import('node:http').ClientRequest }} */ (message);
    const now = Date.now();
    expected = expected.filter((e) => now - e.at < STALE_MS);
    const index = expected.findIndex(
      (e) =>
        e.method === request.method &&
        e.host === String(request.host).toLowerCase() &&
        e.path === request.path,
    );
    if (index < 0) return;
    const [wanted] = expected.splice(index, 1);
    counts.watched += 1;
    watch(request, wanted, counts);
  });

  return (operation, args) => {
    switch (operation) {
      case 'expect': {
        const e = /** @type {Expected} */ (args[0]);
        expected.push({ ...e, at: Date.now() });
        return e.id;
      }
      case 'forget': {
        expected = expected.filter((e) => e.id !== args[0]);
        return null;
      }
      case 'counts':
        return { ...counts, pending: expected.length };
      default:
        throw new Error(`unknown operation ${operation}`);
    }
  };
}

/**
 * @param {import('node:http').ClientRequest} request
 * @param {Expected} t
 * @param {Record<string, number>} counts
 */
function watch(request, t, counts) {
  /** @type {NodeJS.Timeout | undefined} */
  let connectTimer;
  /** @type {NodeJS.Timeout | undefined} */
  let writeTimer;
  /** @type {NodeJS.Timeout | undefined} */
  let firstByteTimer;
  let connected = false;
  let written = false;
  let settled = false;
  const clear = () => {
    clearTimeout(connectTimer);
    clearTimeout(writeTimer);
    clearTimeout(firstByteTimer);
  };
  /** @param {string} tag @param {string} counter */
  const fail = (tag, counter) => {
    if (settled) return;
    settled = true;
    clear();
    counts[counter] += 1;
    // The shim listens with `once('error')`; anything the socket says after this is ours.
    request.on('error', () => {});
    request.destroy(/** @type {any} */ ({ tag }));
  };
  const startFirstByte = () => {
    if (!connected || !written || settled || firstByteTimer) return;
    clearTimeout(writeTimer);
    firstByteTimer = setTimeout(() => fail('connection-read-timeout', 'readTimeouts'), t.firstByteMs);
  };
  const onConnected = () => {
    if (connected) return;
    connected = true;
    clearTimeout(connectTimer);
    if (!written) {
      writeTimer = setTimeout(() => fail('connection-write-timeout', 'writeTimeouts'), t.firstByteMs);
    }
    startFirstByte();
  };

  connectTimer = setTimeout(() => fail('connection-timeout', 'connectTimeouts'), t.connectMs);
  const onSocket = (/** @type {import('node:net').Socket} */ socket) => {
    const tls = /** @type {any} */ (socket).encrypted === true;
    // A kept-alive connection is ready at once; a new one once TCP (and TLS) are up.
    const ready = tls ? /** @type {any} */ (socket)._secureEstablished === true : !socket.connecting;
    if (ready) {
      onConnected();
    } else {
      socket.once(tls ? 'secureConnect' : 'connect', onConnected);
    }
  };
  const onWritten = () => {
    written = true;
    startFirstByte();
  };
  // The start is published once the request has its socket, so either may be done already.
  if (request.socket) onSocket(request.socket);
  else request.once('socket', onSocket);
  if (request.writableFinished) onWritten();
  else request.once('finish', onWritten);
  request.once('response', (response) => {
    settled = true;
    clear();
    if (t.betweenBytesMs > 0) {
      response.setTimeout(t.betweenBytesMs, () => {
        response.destroy(new Error(`no data from the server for ${t.betweenBytesMs} ms`));
      });
    }
  });
  request.once('close', () => {
    settled = true;
    clear();
  });
}
