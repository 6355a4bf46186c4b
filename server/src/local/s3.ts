/**
 * The local S3 server `npm start` and `npm test` run when no CANOPY_S3_ENDPOINT is given: @20minutes/s3rver, which
 * verifies request signatures. It lets unsigned requests through, so it listens on loopback only and only Canopy's
 * server talks to it.
 */
import S3rver from '@20minutes/s3rver';
import type { S3Settings } from '../config.ts';

// s3rver's built-in account.
const ACCESS_KEY = 'S3RVER';

export async function startLocalS3(dir: string, port: number): Promise<{ settings: S3Settings; stop(): Promise<void> }> {
  const server = new S3rver({ address: '127.0.0.1', port, directory: dir, silent: true });
  const address = await server.run();
  return {
    settings: localS3Settings(address.port),
    stop: () => server.close(),
  };
}

export function localS3Settings(port: number): S3Settings {
  return { endPoint: '127.0.0.1', port, useSSL: false, accessKey: ACCESS_KEY, secretKey: ACCESS_KEY, region: 'us-east-1' };
}
