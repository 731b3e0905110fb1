/**
 * checkManifestImages warns about container images of shipped manifests that the bundle does not carry:
 * bundle deploy refuses such manifests, so the import says so up front.
 */
import { parseAllDocuments } from 'yaml';
import { parseZarfImageRef } from '../image/zarf-image-ref.js';
import type { Add } from './report-unsupported.js';

/** checkManifestImages reports each image of `files` that is not in `imageSet` (normalized references). */
export function checkManifestImages(files: Array<{ path: string; content: string }>, imageSet: Set<string>, add: Add): void {
  for (const f of files) {
    for (const doc of parseAllDocuments(f.content)) {
      if (doc.errors.length > 0) continue;
      for (const image of containerImages(doc.toJS())) {
        if (image.includes('${')) continue;
        let normalized: string | undefined;
        try {
          normalized = parseZarfImageRef(image).reference;
        } catch {
          normalized = undefined;
        }
        if (normalized === undefined || !imageSet.has(normalized)) {
          add('warning', f.path, `image ${image} is not in the bundle: bundle deploy will refuse the manifest`, 'add it to the images of a component');
        }
      }
    }
  }
}

function containerImages(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) containerImages(n, out);
  else if (node !== null && typeof node === 'object') {
    const rec = node as Record<string, unknown>;
    for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
      const list = rec[key];
      if (Array.isArray(list)) for (const c of list) if (c !== null && typeof c === 'object' && typeof (c as { image?: unknown }).image === 'string') out.push((c as { image: string }).image);
    }
    for (const v of Object.values(rec)) containerImages(v, out);
  }
  return out;
}
