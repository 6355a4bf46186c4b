/**
 * What a download's headers ask of the object's current version (RFC 9110): whether the client's copy is still
 * current (If-None-Match, else If-Modified-Since: a 304 without the bytes), and which bytes it wants (a Range, unless
 * If-Range names another version, whose bytes cannot be joined to these).
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The version's validators, as its ETag and Last-Modified headers say them. */
export interface Validators {
  etag?: string;
  /** To the second, as Last-Modified has it. */
  lastModified: Date;
}

/** 13.1.2 and 13.1.3, in the order of 13.2.2: If-None-Match by weak comparison (or `*`); without it, If-Modified-Since. */
export function isNotModified(headers: IncomingHttpHeaders, version: Validators): boolean {
  const tags = headers['if-none-match'];
  if (tags !== undefined) {
    const etag = version.etag && opaqueTag(version.etag);
    return tags.trim() === '*' || (!!etag && tags.split(',').some((tag) => opaqueTag(tag) === etag));
  }
  const since = httpDate(headers['if-modified-since']);
  return since !== undefined && version.lastModified.getTime() <= since;
}

/**
 * The Range asked for (14.2), if it applies to this version (13.1.5: If-Range is an ETag that matches strongly or the
 * exact Last-Modified; anything else means the whole object): `bytes=a-b`, `bytes=a-` or `bytes=-n`. Several ranges
 * are answered whole.
 */
export function requestedRange(
  headers: IncomingHttpHeaders,
  version: Validators,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = headers.range ? /^bytes=(\d*)-(\d*)$/.exec(headers.range.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (headers['if-range'] !== undefined) {
    const ifRange = String(headers['if-range']).trim();
    const sameVersion = /^W\/|^"/.test(ifRange)
      ? !ifRange.startsWith('W/') && !!version.etag && !version.etag.startsWith('W/') && opaqueTag(ifRange) === opaqueTag(version.etag)
      : httpDate(ifRange) === version.lastModified.getTime();
    if (!sameVersion) return undefined;
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return 'unsatisfiable';
  return { start, end };
}

/** An entity tag without its weakness and quotes: `W/"x"` and `"x"` compare equal, as weak comparison wants. */
const opaqueTag = (tag: string) => tag.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** 5.6.7: IMF-fixdate, and the two obsolete forms a recipient must still read (RFC 850, asctime). */
const HTTP_DATE = new RegExp(
  `^(?:${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT|${DAY}[a-z]*, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT|${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4})$`,
);

/** An HTTP-date in ms; anything else (which a recipient must ignore) is undefined. */
function httpDate(value: string | undefined): number | undefined {
  if (value === undefined || !HTTP_DATE.test(value)) return undefined;
  // asctime has no zone: it is GMT too.
  const ms = Date.parse(value.endsWith('GMT') ? value : `${value} GMT`);
  return Number.isNaN(ms) ? undefined : ms;
}
