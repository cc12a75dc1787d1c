// A recording proxy in front of the fake Twilio, on its own thread: the plugin's calls block
// the test's thread while they wait for an answer, so the proxy must answer from another.
// Every request is posted to the test (method, path, headers, the body as it arrived,
// de-chunked) and then forwarded to the fake unchanged but for Host.

import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { target, records } = /** @type {{ target: string, records: import('node:worker_threads').MessagePort }} */ (
  workerData
);
const upstream = new URL(target);

const server = http.createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    records.postMessage({
      method: req.method,
      path: req.url,
      headers: req.headers,
      body: body.toString('utf8'),
    });
    const headers = { ...req.headers, host: upstream.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`the recorder could not reach the fake: ${e.message}`);
    });
    forward.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  parentPort?.postMessage({ port: address.port });
});
parentPort?.on('message', (m) => {
  if (m === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
