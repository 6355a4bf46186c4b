/**
 * Objects' bytes read from S3 straight into HTTP responses, for downloads: a GET on a presigned URL over a connection
 * of our own, kept alive between downloads, whose body is read into a few reused buffers, each taken back once the
 * response has written it. Node's HTTP client (which the minio client uses) allocates a new buffer for every read of
 * its socket and passes each through a parser, a stream and a pipe; in a server with a large heap that garbage, not
 * the copying, is most of what a large download costs (V8 marks the whole heap for every 64 MB of buffers made).
 *
 * Hand-written because the libraries measured worse in bench/storage.ts: Node's http.get gave nothing over the minio
 * client, and undici matched this reader on 100 MB objects but cost ~20 ms of CPU per 1 MB download, against 12-16.
 *
 * Deliberately small: a GET of an object is answered with a Content-Length (S3's GetObject always sends one).
 * A 2xx answer without one, or with a Transfer-Encoding, is refused as UnframedResponse, for the caller to read
 * that object another way. Nothing of S3's answer but its status and length reaches the caller: the presigned URL
 * and S3's headers stay here.
 */
import net from 'node:net';
import type { Writable } from 'node:stream';
import tls from 'node:tls';

/** S3 answered with an error status (404: the bytes are not there). */
export class S3ReadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'S3ReadError';
  }
}

/** A 2xx answer this reader does not frame (no Content-Length, or a Transfer-Encoding). */
export class UnframedResponse extends Error {
  constructor() {
    super('S3 answered without a Content-Length');
    this.name = 'UnframedResponse';
  }
}

/** What S3 answered: 200 (whole) or 206 (a range) and the length of the body, ready to be piped. */
export interface ObjectBody {
  status: number;
  length: number;
  /** Streams the body into `target` (a response whose status and headers the caller has set, or any Writable), and
   * ends it; if `target` closes first, the connection to S3 is dropped. If S3 fails midway, `target` is destroyed (a
   * client sees a cut body). */
  pipe(target: Writable): void;
  /** Drops the connection (when the body is not wanted after all). */
  destroy(): void;
}

export interface ObjectReaderOptions {
  /** Idle connections kept per S3 origin (default 32). */
  maxIdle?: number;
  /** How long an idle connection is kept (default 4 s: below the keep-alive timeouts of S3 servers). */
  idleMs?: number;
  /** How long S3 may take to start answering (its status line and headers) before the request fails (default 30 s). */
  headMs?: number;
  /** How long S3 may then go silent while its body is wanted before the download is cut (default 30 s). Not while
   * reading is paused for a slow client: that is the client's pace, not a stall. */
  stallMs?: number;
  /** For https endpoints: `ca` and the like (tests). */
  tls?: tls.ConnectionOptions;
}

const BUFFER_BYTES = 64 * 1024;
/** Reusable buffers kept for all connections: 4 MiB. */
const MAX_SPARE_BUFFERS = 64;
const MAX_HEAD_BYTES = 64 * 1024;

export class S3ObjectReader {
  private readonly idle = new Map<string, Connection[]>();
  private readonly spare: Buffer[] = [];
  private closed = false;
  readonly maxIdle: number;
  readonly idleMs: number;
  readonly headMs: number;
  readonly stallMs: number;
  readonly tlsOptions: tls.ConnectionOptions;

  constructor(options: ObjectReaderOptions = {}) {
    this.maxIdle = options.maxIdle ?? 32;
    this.idleMs = options.idleMs ?? 4_000;
    this.headMs = options.headMs ?? 30_000;
    this.stallMs = options.stallMs ?? 30_000;
    this.tlsOptions = options.tls ?? {};
  }

  /**
   * GETs `url` (a presigned URL: nothing but Host and `range` is sent) and resolves once S3's status line and headers
   * are in: with the body on a 2xx answer, ready to pipe; else S3ReadError (or UnframedResponse, see above).
   * A kept-alive connection that S3 closed meanwhile is retried once on a new one.
   */
  async open(url: URL, range?: { start: number; end: number }): Promise<ObjectBody> {
    if (this.closed) throw new Error('The S3 object reader is closed');
    const request =
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
      (range ? `Range: bytes=${range.start}-${range.end}\r\n` : '') +
      '\r\n';
    const reused = this.takeIdle(url);
    if (reused) {
      try {
        return await reused.exchange(request, range);
      } catch (error) {
        if (!(error instanceof StaleConnection)) throw error;
      }
    }
    return new Connection(this, url).exchange(request, range);
  }

  /** Drops every idle connection; connections in use close when their body is done. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const connection of list) connection.destroy();
    this.idle.clear();
  }

  /** How many connections are idle (for tests). */
  get idleCount(): number {
    let count = 0;
    for (const list of this.idle.values()) count += list.length;
    return count;
  }

  takeBuffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(BUFFER_BYTES);
  }

  /** Only once nothing refers to `buffer` any more (its write is done). */
  giveBuffer(buffer: Buffer): void {
    if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(buffer);
  }

  release(connection: Connection): void {
    const list = this.idle.get(connection.origin) ?? [];
    if (this.closed || list.length >= this.maxIdle) {
      connection.destroy();
      return;
    }
    list.push(connection);
    this.idle.set(connection.origin, list);
  }

  forget(connection: Connection): void {
    const list = this.idle.get(connection.origin);
    const at = list?.indexOf(connection) ?? -1;
    if (at >= 0) list!.splice(at, 1);
  }

  private takeIdle(url: URL): Connection | undefined {
    const list = this.idle.get(originOf(url));
    for (let connection = list?.pop(); connection; connection = list?.pop()) {
      if (connection.usable) return connection;
      connection.destroy();
    }
    return undefined;
  }
}

class StaleConnection extends Error {}

const originOf = (url: URL) => `${url.protocol}//${url.host}`;

/** One connection to S3, which reads one answer at a time. */
class Connection {
  readonly origin: string;
  private readonly socket: net.Socket;
  private readonly reader: S3ObjectReader;
  /** The answer being read, if any. */
  private current?: Answer;
  private answered = 0;
  private broken = false;

  constructor(reader: S3ObjectReader, url: URL) {
    this.reader = reader;
    this.origin = originOf(url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const onread = { buffer: () => reader.takeBuffer(), callback: (length: number, buffer: Buffer) => this.read(length, buffer) };
    // tls.connect takes `onread` as net.connect does (Node's types leave it out).
    this.socket =
      url.protocol === 'https:'
        ? tls.connect({ ...reader.tlsOptions, host, port, servername: net.isIP(host) ? undefined : host, onread } as tls.ConnectionOptions)
        : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.end(error));
    this.socket.on('close', () => this.end(new Error('S3 closed the connection')));
    this.socket.on('timeout', () => this.destroy());
    // Reading starts, and stays on until an answer asks for a pause; the socket's own stream sees no data (only its
    // end), but must flow for that end to be seen.
    this.socket.resume();
  }

  get usable(): boolean {
    return !this.broken && !this.socket.destroyed && !this.current;
  }

  exchange(request: string, range?: { start: number; end: number }): Promise<ObjectBody> {
    return new Promise((resolve, reject) => {
      this.current = new Answer(this, this.reader, this.answered > 0, range, resolve, reject);
      this.socket.setTimeout(this.reader.headMs);
      this.socket.ref();
      this.socket.write(request);
    });
  }

  /** Every read of the socket, into a buffer of the reader's: handed on to the answer, or given back. */
  private read(length: number, buffer: Buffer): boolean {
    const answer = this.current;
    if (!answer) {
      // Bytes nobody asked for: this connection is out of step.
      this.reader.giveBuffer(buffer);
      this.destroy();
      return false;
    }
    const more = answer.read(buffer, length);
    // Paused for the client: S3's silence is then ours.
    if (!more && this.current === answer) this.socket.setTimeout(0);
    return more;
  }

  /** The answer is complete: keep the connection for the next one, unless it cannot be. */
  done(answer: Answer, reusable: boolean): void {
    if (this.current !== answer) return;
    this.current = undefined;
    this.answered++;
    if (!reusable || this.broken) {
      this.destroy();
      return;
    }
    this.socket.setTimeout(this.reader.idleMs);
    this.socket.unref();
    this.reader.release(this);
  }

  /** Reading again, for `answer`, if it is still this connection's. */
  resume(answer: Answer): void {
    if (this.current !== answer) return;
    this.socket.setTimeout(this.reader.stallMs);
    this.socket.resume();
  }

  /** Closes the connection if `answer` is still its (an answer read to the end has handed it on). */
  drop(answer: Answer): void {
    if (this.current !== answer) return;
    this.current = undefined;
    this.destroy();
  }

  destroy(): void {
    this.broken = true;
    this.socket.destroy();
  }

  /** S3 has started answering: from now on it may go silent for stallMs while its body is wanted. */
  headIn(): void {
    this.socket.setTimeout(this.reader.stallMs);
  }

  private end(error: Error): void {
    this.broken = true;
    this.reader.forget(this);
    const answer = this.current;
    this.current = undefined;
    answer?.fail(error);
    this.socket.destroy();
  }
}

/** One answer: its head, parsed, then its body, handed to the target buffer by buffer. */
class Answer {
  private head = '';
  /** Body bytes still to come; -1 until the head is in. */
  private remaining = -1;
  private keepAlive = false;
  private settled = false;
  /** Done with: the body is all written, or given up on. */
  private finished = false;
  private failure?: Error;
  /** Body bytes read before there was a target, and the buffer they are in. */
  private early?: { chunk: Buffer; buffer: Buffer };
  private target?: Writable;

  constructor(
    private readonly connection: Connection,
    private readonly reader: S3ObjectReader,
    private readonly reused: boolean,
    private readonly range: { start: number; end: number } | undefined,
    private readonly resolve: (body: ObjectBody) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  /** Every read while this answer is the connection's; returns false to pause reading. */
  read(buffer: Buffer, length: number): boolean {
    if (this.remaining < 0) return this.readHead(buffer, length, 0);
    return this.readBody(buffer, buffer.subarray(0, length));
  }

  /** `buffer[from, length)` is the next part of the head (and maybe the body's first bytes). */
  private readHead(buffer: Buffer, length: number, from: number): boolean {
    const before = this.head.length;
    // Only up to the head's end as text: the body's first bytes, often most of the read, stay bytes (a 64 KiB string
    // per download was most of what this reader left to the garbage collector).
    const headEnd = buffer.subarray(from, length).indexOf('\r\n\r\n');
    this.head += buffer.toString('latin1', from, headEnd < 0 ? length : from + headEnd + 4);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      this.reader.giveBuffer(buffer);
      if (this.head.length <= MAX_HEAD_BYTES) return true;
      this.abandon(new Error('S3 answered with a head over 64 KiB'));
      return false;
    }
    const bodyStart = from + end + 4 - before;
    const lines = this.head.slice(0, end).split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!statusLine) {
      this.reader.giveBuffer(buffer);
      this.abandon(new Error(`S3 answered something other than HTTP/1: ${JSON.stringify(lines[0].slice(0, 80))}`));
      return false;
    }
    const status = Number(statusLine[2]);
    if (status < 200) {
      // An interim answer (S3 sends none to a GET, but a proxy might): the real one follows.
      this.head = '';
      if (bodyStart < length) return this.readHead(buffer, length, bodyStart);
      this.reader.giveBuffer(buffer);
      return true;
    }
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (status > 299) {
      const code = /<Code>([^<]*)<\/Code>/.exec(buffer.toString('latin1', bodyStart, length))?.[1];
      this.reader.giveBuffer(buffer);
      this.abandon(new S3ReadError(status, `S3 answered ${status}${code ? ` ${code}` : ''}`));
      return false;
    }
    const declared = headers.get('content-length');
    if (declared === undefined || !/^\d+$/.test(declared) || headers.has('transfer-encoding')) {
      this.reader.giveBuffer(buffer);
      this.abandon(new UnframedResponse());
      return false;
    }
    this.head = '';
    this.connection.headIn();
    this.remaining = Number(declared);
    this.keepAlive = statusLine[1] === '1' && !/(^|,)\s*close\s*(,|$)/i.test(headers.get('connection') ?? '');
    const sent = /^bytes (\d+)-\d+\//.exec(headers.get('content-range') ?? '');
    const wanted = this.range && this.range.end - this.range.start + 1;
    if (status === 206 && wanted && sent && Number(sent[1]) === this.range!.start && this.remaining > wanted) {
      // More than was asked, from the right start (the local S3 server reads `bytes=0-0` as `bytes=0-`): only what
      // was asked is passed on, and the connection goes with the rest.
      this.remaining = wanted;
      this.keepAlive = false;
    }
    this.settled = true;
    const body: ObjectBody = { status, length: this.remaining, pipe: (target) => this.pipe(target), destroy: () => this.abandon() };
    if (bodyStart < length) {
      // The body's first bytes came with the head: they wait for the target.
      let chunk = buffer.subarray(bodyStart, length);
      if (chunk.length > this.remaining) {
        chunk = chunk.subarray(0, this.remaining);
        this.keepAlive = false;
      }
      this.early = { chunk, buffer };
      this.remaining -= chunk.length;
    } else {
      this.reader.giveBuffer(buffer);
    }
    if (this.remaining === 0) this.connection.done(this, this.keepAlive);
    this.resolve(body);
    // Reading waits for the target (when there is more to read).
    return this.remaining === 0;
  }

  private pipe(target: Writable): void {
    if (this.target) throw new Error('An S3 body is piped once');
    this.target = target;
    const early = this.early;
    this.early = undefined;
    if (this.failure || target.destroyed) {
      if (early) this.reader.giveBuffer(early.buffer);
      if (this.failure) target.destroy();
      else this.abandon();
      return;
    }
    target.on('drain', () => {
      if (!this.finished) this.connection.resume(this);
    });
    target.on('close', () => {
      if (!this.finished) this.abandon();
    });
    if (early) {
      const reader = this.reader;
      target.write(early.chunk, () => reader.giveBuffer(early.buffer));
    }
    if (this.remaining === 0) {
      this.finished = true;
      target.end();
    } else if (!target.writableNeedDrain) {
      this.connection.resume(this);
    }
  }

  private readBody(buffer: Buffer, chunk: Buffer): boolean {
    const target = this.target;
    if (!target || this.finished) {
      // Reading had been paused: nothing should come now.
      this.reader.giveBuffer(buffer);
      this.abandon(new Error('S3 sent bytes while reading was paused'));
      return false;
    }
    if (chunk.length > this.remaining) {
      chunk = chunk.subarray(0, this.remaining);
      this.keepAlive = false;
    }
    this.remaining -= chunk.length;
    const reader = this.reader;
    const more = target.write(chunk, () => reader.giveBuffer(buffer));
    if (this.remaining > 0) return more;
    this.finished = true;
    this.connection.done(this, this.keepAlive);
    target.end();
    return true;
  }

  /** The connection failed or closed while this answer was its. */
  fail(error: Error): void {
    if (!this.settled) {
      this.settled = true;
      // A kept-alive connection that S3 had closed before a byte of the answer came: the caller tries a new one.
      this.reject(this.reused && this.head === '' && this.remaining < 0 ? new StaleConnection(error.message) : error);
      return;
    }
    if (this.finished) return;
    this.finished = true;
    this.failure = error;
    // Cut: the client sees a body shorter than its Content-Length.
    this.target?.destroy();
  }

  /** Gives up on this answer, and on its connection unless the body was all read. */
  private abandon(error = new Error('The S3 answer was abandoned')): void {
    if (!this.settled) {
      this.settled = true;
      this.reject(error);
    }
    if (this.early) {
      this.reader.giveBuffer(this.early.buffer);
      this.early = undefined;
    }
    if (!this.finished) {
      this.finished = true;
      this.failure = error;
      if (this.target && !this.target.destroyed) this.target.destroy();
    }
    this.connection.drop(this);
  }
}
