/**
 * Image transformations, as Supabase's (storage-js's `transform` option): an image object resized to a width and/or
 * height (cover: crop to fill; contain: fit inside; fill: stretch), at a quality, sent as WebP to clients that accept
 * it unless the original format is asked for (`format=origin`), or as AVIF (`format=avif`). Done by sharp (libvips):
 * it decodes only what the output needs (JPEGs shrink on load) and is the fastest well-kept image library for Node.
 * Loaded on the first transformation, so that a server that never makes one never loads libvips.
 *
 * Limits, as Supabase's: sources up to 25 MB and 50 megapixels; width and height 1–2,500, and no output larger than
 * 2,500 × 2,500 whatever is asked (a side not given follows the aspect ratio within it), nor than its source; quality
 * 20–100. Only the decoders of the source formats may run (JPEG, PNG, WebP, GIF, TIFF, AVIF): not SVG's or PDF's,
 * whose untrusted input is a renderer's attack surface, for pictures apps rarely resize.
 */
import type { ResizeOptions } from 'sharp';
import { invalidInput, StorageError } from './errors.ts';

const MAX_SOURCE_BYTES = 25 * 1024 * 1024;
const MAX_SOURCE_PIXELS = 50_000_000;
const MAX_SIDE = 2500;
/** How long one transformation may take, beyond which it is abandoned. */
const TIMEOUT_SECONDS = 20;

export interface TransformedImage {
  data: Buffer;
  contentType: string;
  extension: string;
}

export interface Transformation {
  width?: number;
  height?: number;
  resize: 'cover' | 'contain' | 'fill';
  quality: number;
  format?: 'origin' | 'avif';
}

const FIT = { cover: 'cover', contain: 'inside', fill: 'fill' } as const;

type Format = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

/** The libvips decoders that may run: every other one is blocked (sharp.block). */
const DECODERS = ['Jpeg', 'Png', 'Webp', 'Nsgif', 'Tiff', 'Heif'].map((name) => `VipsForeignLoad${name}Buffer`);

/** The format of a source, as it is sent when its original format is kept: HEIF only as AVIF (HEIC is not decoded). */
function sourceFormat({ format, compression }: { format?: string; compression?: string }): Format | undefined {
  if (format === 'heif') return compression === 'av1' ? 'avif' : undefined;
  return (['jpeg', 'png', 'webp', 'gif', 'tiff'] as const).find((known) => known === format);
}

const invalidImage = () => new StorageError(422, 'invalid_image', 'The object is not an image that can be transformed');
const imageTooLarge = () =>
  new StorageError(
    422,
    'image_too_large',
    `Images over ${MAX_SOURCE_BYTES / 1024 / 1024} MB or ${MAX_SOURCE_PIXELS / 1e6} megapixels are not transformed`,
  );
export const checkSourceSize = (bytes: number) => {
  if (bytes > MAX_SOURCE_BYTES) throw imageTooLarge();
};

/** A transformation from a request's query (`width`, `height`, `resize`, `quality`, `format`) or a token's claim. */
export function transformationOf(input: unknown): Transformation {
  const { width, height, resize, quality, format } = (input ?? {}) as Record<string, unknown>;
  return {
    width: integer('width', width, 1, MAX_SIDE),
    height: integer('height', height, 1, MAX_SIDE),
    resize: oneOf('resize', resize, ['cover', 'contain', 'fill'] as const) ?? 'cover',
    quality: integer('quality', quality, 20, 100) ?? 80,
    format: oneOf('format', format, ['origin', 'avif'] as const),
  };
}

function integer(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = typeof value === 'number' ? value : /^\d{1,9}$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw invalidInput(`${name} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if (!allowed.includes(value as T)) throw invalidInput(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

let sharpLoaded: Promise<typeof import('sharp').default> | undefined;

/**
 * sharp, set up once for the process: no cache of files or operations (memory stays flat), one libvips thread per
 * image, and only the source formats' decoders.
 */
function loadSharp() {
  sharpLoaded ??= import('sharp').then(
    ({ default: sharp }) => {
      sharp.cache(false);
      sharp.concurrency(1);
      sharp.block({ operation: ['VipsForeignLoad'] });
      sharp.unblock({ operation: DECODERS });
      return sharp;
    },
    () => {
      throw new StorageError(501, 'not_implemented', 'Image transformations need sharp, which is not installed on this server');
    },
  );
  return sharpLoaded;
}

/**
 * The image in `source` transformed, with its content type and file extension; `accept` is the client's Accept
 * header. An object that is no image (or none of the source formats) is a 422 `invalid_image`; one over the limits,
 * `image_too_large`.
 */
export async function transformImage(
  source: Buffer,
  transformation: Transformation,
  accept: string | undefined,
): Promise<TransformedImage> {
  const sharp = await loadSharp();
  try {
    const image = sharp(source, { limitInputPixels: MAX_SOURCE_PIXELS, failOn: 'error', autoOrient: true });
    const original = sourceFormat(await image.metadata());
    if (!original) throw invalidImage();
    const format = outputFormat(transformation, original, accept);
    const data = await image
      .resize(outputSize(transformation))
      .toFormat(format, encoderOptions(format, transformation.quality))
      .timeout({ seconds: TIMEOUT_SECONDS })
      .toBuffer();
    return { data, contentType: `image/${format}`, extension: format === 'jpeg' ? 'jpg' : format };
  } catch (error) {
    if (error instanceof StorageError) throw error;
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) throw imageTooLarge();
    if (/timeout/i.test(message)) throw new StorageError(503, 'transformation_timeout', 'The transformation took too long');
    throw invalidImage();
  }
}

/** AVIF if asked for; else WebP for clients that take it, unless the original format is asked for; else the original. */
function outputFormat({ format }: Transformation, original: Format, accept: string | undefined): Format {
  if (format === 'avif') return 'avif';
  if (format !== 'origin' && takesWebp(accept)) return 'webp';
  return original;
}

/** Whether an Accept header names image/webp, with no q=0 (which says "not this"). */
export function takesWebp(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'image/webp' && !parameters.some((parameter) => /^q=0(\.0*)?$/.test(parameter));
  });
}

/**
 * The size asked for, within MAX_SIDE × MAX_SIDE: one side given, the other follows within it; none, the original's.
 * Never enlarged (as imgproxy, Supabase's, by default): an image smaller than asked keeps its size.
 */
function outputSize({ width, height, resize }: Transformation): ResizeOptions {
  const bounds =
    width && height
      ? { width, height, fit: FIT[resize] }
      : { width: width ?? MAX_SIDE, height: height ?? MAX_SIDE, fit: 'inside' as const };
  return { ...bounds, withoutEnlargement: true };
}

/**
 * Quality only for the lossy formats (sharp reads it as a palette for PNG and GIF). AVIF at its fastest effort: at
 * its default a 2,500 × 2,500 photo's worth of noise took 43 s here (1.2 s so; WebP 0.9 s), and libvips cannot stop
 * an AVIF encoder once it has started.
 */
function encoderOptions(format: Format, quality: number) {
  if (format === 'avif') return { quality, effort: 0 };
  return format === 'jpeg' || format === 'webp' ? { quality } : {};
}
