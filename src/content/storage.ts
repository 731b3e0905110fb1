import type { Readable } from 'node:stream';
import type { Descriptor } from './descriptor.js';

/** FetchOptions for {@link Fetcher.fetch}. */
export interface FetchOptions {
  /** Start reading at this byte offset (for resumable reads). Default 0. */
  offset?: number;
  signal?: AbortSignal;
}

/** Fetcher reads content by descriptor. The stream yields exactly `desc.size - offset` bytes. */
export interface Fetcher {
  fetch(desc: Descriptor, options?: FetchOptions): Promise<Readable>;
}

/** OpenBody re-opens the body of a blob at `offset`, so that retries and resumes can start again. */
export type OpenBody = (offset: number) => Promise<Readable>;

/** PushOptions for {@link Pusher.push}. */
export interface PushOptions {
  signal?: AbortSignal;
  /** Called with each slice of bytes as it is written (for progress). */
  onBytes?: (n: number) => void;
}

/**
 * Pusher writes content. It takes a body factory rather than a stream so that an implementation can retry
 * or resume by re-opening. Every implementation verifies size and digest before the content becomes visible.
 */
export interface Pusher {
  push(expected: Descriptor, open: OpenBody, options?: PushOptions): Promise<void>;
}

/** ReadOnlyStorage is a content-addressed store that can be read. */
export interface ReadOnlyStorage extends Fetcher {
  exists(desc: Descriptor): Promise<boolean>;
}

/** Storage is a content-addressed store that can be read and written. */
export interface Storage extends ReadOnlyStorage, Pusher {}

/** TagResolver maps references (tags, ref names) to descriptors, separately from content. */
export interface TagResolver {
  resolve(reference: string): Promise<Descriptor>;
  tag(desc: Descriptor, reference: string): Promise<void>;
}

/** Tagger is the write side of {@link TagResolver} alone. */
export interface Tagger {
  tag(desc: Descriptor, reference: string): Promise<void>;
}

/** isTagger tells whether a storage can also record tags. */
export function isTagger(value: object): value is Tagger {
  return typeof (value as Partial<Tagger>).tag === 'function';
}
