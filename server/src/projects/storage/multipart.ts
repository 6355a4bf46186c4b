/**
 * Uploads as multipart/form-data (what storage-js sends for a Blob or File, and what browsers' forms send), streamed
 * without buffering the file: fields before the file are read, and since the file is the last part (storage-js and
 * browsers put it last), its size is the request's Content-Length less what came before and the closing boundary.
 * The file's bytes then stream on; the closing boundary is checked at the end, and a body that does not end with it
 * (a file that was not the last part, a wrong length) fails the upload.
 */
import { Readable } from 'node:stream';
import { invalidInput } from './errors.ts';

const MAX_HEAD_BYTES = 65_536;

export interface MultipartFile {
  fields: Record<string, string>;
  /** The file part's own content type, if it has one. */
  contentType: string | undefined;
  size: number;
  body: Readable;
}

export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType ?? '')) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType!);
  if (!match) throw invalidInput('The multipart body has no boundary');
  return match[1] ?? match[2]!;
}

export async function multipartFile(source: Readable, boundary: string, contentLength: number): Promise<MultipartFile> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buffer = Buffer.alloc(0);
  let consumed = 0;
  const more = async () => {
    const next = await chunks.next();
    if (next.done) throw invalidInput('The multipart body ended before its file');
    buffer = Buffer.concat([buffer, next.value]);
  };
  const take = async (length: number) => {
    while (buffer.length < length) await more();
    const taken = buffer.subarray(0, length);
    buffer = buffer.subarray(length);
    consumed += length;
    return taken;
  };
  const takeUntil = async (marker: string) => {
    let index: number;
    while ((index = buffer.indexOf(marker)) < 0) {
      if (consumed + buffer.length > MAX_HEAD_BYTES) throw invalidInput('The multipart fields before the file are too large');
      await more();
    }
    const taken = await take(index);
    await take(marker.length);
    return taken;
  };

  const delimiter = `--${boundary}`;
  const opening = (await take(delimiter.length + 2)).toString('latin1');
  if (opening !== `${delimiter}\r\n`) throw invalidInput('The multipart body does not start with its boundary');
  const fields: Record<string, string> = {};
  for (;;) {
    const head = (await takeUntil('\r\n\r\n')).toString('utf8');
    const headers = Object.fromEntries(
      head.split('\r\n').map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const disposition = headers['content-disposition'] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? '';
    if (/;\s*filename\*?=/i.test(disposition) || name === '') {
      const trailer = Buffer.from(`\r\n${delimiter}--\r\n`, 'latin1');
      const size = contentLength - consumed - trailer.length;
      if (size < 0) throw invalidInput('The multipart body is shorter than its Content-Length');
      const body = Readable.from(fileBytes(buffer, chunks, size, trailer, Buffer.from(`\r\n${delimiter}`, 'latin1')));
      return { fields, contentType: headers['content-type'], size, body };
    }
    fields[name] = (await takeUntil(`\r\n${delimiter}\r\n`)).toString('utf8');
  }
}

/**
 * The file's `size` bytes, then the closing boundary, which must be all that is left; a delimiter inside the file's
 * bytes means another part followed it.
 */
async function* fileBytes(start: Buffer, chunks: AsyncIterator<Buffer>, size: number, trailer: Buffer, delimiter: Buffer) {
  let remaining = size;
  let rest = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  let chunk: Buffer | undefined = start;
  for (;;) {
    if (chunk && chunk.length > 0) {
      const file = chunk.subarray(0, remaining);
      remaining -= file.length;
      const seen = Buffer.concat([tail, file]);
      if (seen.includes(delimiter)) throw invalidInput('The multipart body must end with its file');
      tail = seen.subarray(Math.max(0, seen.length - delimiter.length + 1));
      if (file.length > 0) yield file;
      rest = Buffer.concat([rest, chunk.subarray(file.length)]);
      if (rest.length > trailer.length) break;
    }
    const next = await chunks.next();
    if (next.done) break;
    chunk = next.value;
  }
  if (remaining > 0 || !rest.equals(trailer)) throw invalidInput('The multipart body must end with its file');
}
