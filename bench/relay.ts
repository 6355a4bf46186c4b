/**
 * The hop alone, a baseline for bench/storage.ts: an HTTP server that relays PUT and GET of `/<bucket>/<key>` to the
 * S3 server along Canopy's own byte path (presigned URLs; downloads read by S3ObjectReader), and does nothing else: no
 * key, no row, no policy, no framework. Against it, Canopy's figures show what its features cost; against the S3
 * server directly, its own show what any relay in between costs on the machine at hand.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { openBytes, putBytes } from '../server/src/projects/storage/routes/s3-bytes.ts';
import type { S3Settings } from '../server/src/config.ts';
import { S3ObjectReader } from '../server/src/storage/object-reader.ts';
import { storageS3Client } from '../server/src/storage/s3.ts';

export async function startBareRelay(settings: S3Settings): Promise<{ url: string; stop(): Promise<void> }> {
  const s3 = storageS3Client(settings);
  const reader = new S3ObjectReader();
  const server = http.createServer((request, response) => {
    relay(request, response).catch((error: Error) => {
      if (response.headersSent) response.destroy();
      else response.writeHead(502, { 'content-type': 'text/plain' }).end(error.message);
    });
  });

  async function relay(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const [bucket, ...path] = new URL(request.url!, 'http://relay').pathname.slice(1).split('/').map(decodeURIComponent);
    const place = { s3, s3Bucket: bucket };
    const key = path.join('/');
    if (request.method === 'PUT') {
      const size = Number(request.headers['content-length']);
      await putBytes(place, key, request, size, { 'content-type': 'application/octet-stream' });
      response.writeHead(200).end();
      return;
    }
    const body = await openBytes(place, reader, key);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    body.pipe(response);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      reader.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
