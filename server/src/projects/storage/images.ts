/**
 * Image transformations, as Supabase's (storage-js's `transform` option): an image object resized to a width and/or
 * height (cover: crop to fill; contain: fit inside; fill: stretch), at a quality, sent as WebP to clients that accept
 * it unless the original format is asked for (`format=origin`), or as AVIF (`format=avif`). Done by sharp (libvips):
 * it decodes only what the output needs (JPEGs shrink on load) and is the fastest well-kept image library for Node.
 * Loaded on the first transformation, so that a server that never makes one never loads libvips.
 *
 * Limits, as Supabase's: sources up to 25 MB and 50 megapixels; width and height 1–2,500; quality 20–100. SVG is not
 * a source: rendering untrusted SVG is a renderer's attack surface, for pictures apps rarely resize.
 */
import type { Sharp } from 'sharp';
import { invalidInput, StorageError } from './errors.ts';

export const MAX_SOURCE_BYTES = 25 * 1024 * 1024;
const MAX_SOURCE_PIXELS = 50_000_000;
const MAX_SIDE = 2500;
/** How long one transformation may take, beyond which it is abandoned. */
const TIMEOUT_SECONDS = 20;

export interface Transformation {
  width?: number;
  height?: number;
  resize: 'cover' | 'contain' | 'fill';
  quality: number;
  format?: 'origin' | 'avif';
}

const FIT = { cover: 'cover', contain: 'inside', fill: 'fill' } as const;

/** Source formats (sharp's names) and what each is sent as when its original format is kept. */
const SOURCE_FORMATS: Record<string, 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif'> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tiff',
  heif: 'avif',
};

export const invalidImage = () => new StorageError(422, 'invalid_image', 'The object is not an image that can be transformed');
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

/** sharp, set up once: no cache of files or operations (memory stays flat), one libvips thread per image. */
function loadSharp() {
  sharpLoaded ??= import('sharp').then(
    (module) => {
      module.default.cache(false);
      module.default.concurrency(1);
      return module.default;
    },
    () => {
      throw new StorageError(501, 'not_implemented', 'Image transformations need sharp, which is not installed on this server');
    },
  );
  return sharpLoaded;
}

/**
 * The image in `source` transformed, with its content type; `accept` is the client's Accept header. An object that
 * is no image (or none of the source formats) is a 422 `invalid_image`; one over the limits, `image_too_large`.
 */
export async function transformImage(source: Buffer, transformation: Transformation, accept: string | undefined) {
  const sharp = await loadSharp();
  const image = sharp(source, { limitInputPixels: MAX_SOURCE_PIXELS, failOn: 'error', autoOrient: true });
  try {
    const original = SOURCE_FORMATS[(await image.metadata()).format ?? ''];
    if (!original) throw invalidImage();
    const format = outputFormat(transformation, original, accept);
    // Quality is for the lossy formats: sharp reads it as a palette for PNG and GIF.
    const lossy = format === 'jpeg' || format === 'webp' || format === 'avif';
    const data = await resized(image, transformation)
      .toFormat(format, lossy ? { quality: transformation.quality } : {})
      .timeout({ seconds: TIMEOUT_SECONDS })
      .toBuffer();
    return { data, contentType: `image/${format}` };
  } catch (error) {
    if (error instanceof StorageError) throw error;
    const message = (error as Error).message;
    if (/pixel limit/i.test(message)) throw imageTooLarge();
    if (/timeout/i.test(message)) throw new StorageError(503, 'transformation_timeout', 'The transformation took too long');
    throw invalidImage();
  }
}

type Format = (typeof SOURCE_FORMATS)[string];

/** AVIF if asked for; else WebP for clients that take it, unless the original format is asked for; else the original. */
function outputFormat({ format }: Transformation, original: Format, accept: string | undefined): Format {
  if (format === 'avif') return 'avif';
  if (format !== 'origin' && /\bimage\/webp\b/.test(accept ?? '')) return 'webp';
  return original;
}

function resized(image: Sharp, { width, height, resize }: Transformation): Sharp {
  return width || height ? image.resize({ width, height, fit: FIT[resize] }) : image;
}
