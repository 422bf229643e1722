/**
 * Processes the benchmark runs beside itself, so that the load generator, the upstream and the
 * proxy under test do not share one event loop:
 *   node dist/bench/child.js upstream <cert> <key>     a loopback HTTPS server with a small response
 *   node dist/bench/child.js bare <caDir> <upstreamCa> <upstreamPort>
 *       http-mitm-proxy with the must-set options (forceSNI, keepAlive) and no hooks: the library's
 *       own ceiling. Its only change is an agent that sends every upstream connection to the local
 *       upstream, as --host-resolver-rules does for pinaudit.
 * Each prints its port as one line `PORT <n>` on stdout.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

const [mode, a, b, c] = process.argv.slice(2);

if (mode === 'upstream') {
  const body = Buffer.from('{"ok":true}');
  const server = https.createServer({ cert: readFileSync(a!), key: readFileSync(b!) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
} else if (mode === 'bare') {
  process.on('SIGINT', () => process.exit(0));
  const { Proxy } = await import('http-mitm-proxy');
  const upstreamPort = Number(c);
  const secureContext = tls.createSecureContext({ ca: [...tls.rootCertificates, readFileSync(b!, 'utf8')] });
  class LocalAgent extends https.Agent {
    override createConnection(options: tls.ConnectionOptions, cb?: (err: Error | null, s: Duplex) => void): Duplex {
      void cb;
      return tls.connect({ ...options, host: '127.0.0.1', port: upstreamPort, secureContext, servername: options.servername ?? options.host ?? '' });
    }
  }
  const proxy = new Proxy() as unknown as {
    listen(o: object, cb: () => void): void;
    httpServer: { address(): AddressInfo };
  };
  console.info = () => undefined;
  console.debug = () => undefined;
  const log = console.log;
  console.error = () => undefined;
  proxy.listen(
    { host: '127.0.0.1', port: 0, keepAlive: true, forceSNI: true, sslCaDir: a, httpsAgent: new LocalAgent({ keepAlive: true }) },
    () => log(`PORT ${proxy.httpServer.address().port}`),
  );
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
