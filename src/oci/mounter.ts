/**
 * Mounter is the optional capability of a store to link a blob from another repository of the same registry
 * without moving bytes (distribution-spec "Mounting a blob from another repository"); copy code finds it with
 * {@link isMounter}, as oras-go's copy does with `registry.Mounter`.
 */
import type { Descriptor } from '../content/descriptor.js';
import type { OpenBody, PushOptions } from '../content/storage.js';

/** Mounter links blobs across repositories; without a mount it uploads from `open` when given. */
export interface Mounter {
  mount(desc: Descriptor, fromRepository: string, open?: OpenBody, options?: PushOptions): Promise<'mounted' | 'uploaded'>;
}

/** isMounter tells whether a store can mount blobs. */
export function isMounter(value: object): value is Mounter {
  return typeof (value as Partial<Mounter>).mount === 'function';
}
