/**
 * planImages finds, for each image a Zarf package lists, its root in `images/index.json` (by the
 * `org.opencontainers.image.ref.name` annotation, or `…base.name` for crane-built packages), walks its graph
 * through the manifests kept by the scan, and says where it goes under Zarf's naming. Pure: no I/O.
 * Reference: zarf-dev/zarf src/pkg/images/push.go (addRefNameAnnotationToImages, Push).
 */
import { ANNOTATION_REF_NAME, isManifestMediaType } from '../../src/bundle/layout.js';
import type { Descriptor } from '../../src/content/descriptor.js';
import { successorsOf } from '../../src/content/graph.js';
import { AirbundleError } from '../../src/errors.js';
import { parseZarfImageRef, zarfTargetFor, type ZarfImageRef, type ZarfTarget } from './zarf-image-ref.js';

const ANNOTATION_BASE_NAME = 'org.opencontainers.image.base.name';

/** ImagePlan is one image of the package and everything needed to push it. */
export interface ImagePlan {
  /** As listed in zarf.yaml. */
  image: string;
  ref: ZarfImageRef;
  target: ZarfTarget;
  root: Descriptor;
  /** Manifests and indexes of the image, children before parents (root last), with their exact bytes. */
  manifests: Array<{ desc: Descriptor; bytes: Buffer }>;
  /** Configs and layers. */
  blobs: Descriptor[];
}

/** What the scan learned about images/ (a subset of PackageScan). */
export interface ImageLayout {
  index: { manifests?: Descriptor[] } | undefined;
  blobs: Map<string, number>;
  manifests: Map<string, Buffer>;
}

/** planImages plans the push of `images` (zarf.yaml names) to `registry` (`HOST[:PORT][/PREFIX]`). */
export function planImages(images: string[], layout: ImageLayout, registry: string): ImagePlan[] {
  const byRef = new Map<string, Descriptor>();
  for (const d of layout.index?.manifests ?? []) {
    const name = d.annotations?.[ANNOTATION_REF_NAME] ?? d.annotations?.[ANNOTATION_BASE_NAME];
    if (name === undefined) continue;
    try {
      byRef.set(parseZarfImageRef(name).reference, d);
    } catch {
      // An annotation that is no image reference names nothing zarf.yaml can list.
    }
  }
  const plans: ImagePlan[] = [];
  const seen = new Set<string>();
  for (const image of images) {
    const ref = parseZarfImageRef(image);
    if (seen.has(ref.reference)) continue;
    seen.add(ref.reference);
    const root = byRef.get(ref.reference);
    if (root === undefined) {
      throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `zarf.yaml lists image ${image}, but images/index.json has no ${ref.reference}`, { details: { file: 'images/index.json' } });
    }
    const manifests: ImagePlan['manifests'] = [];
    const blobs: Descriptor[] = [];
    const visited = new Set<string>();
    const visit = (d: Descriptor, required: boolean): void => {
      if (visited.has(d.digest)) return;
      visited.add(d.digest);
      const size = layout.blobs.get(d.digest);
      if (size === undefined) {
        // Zarf keeps only the target platform of a multi-platform image pulled by tag; foreign layers stay remote.
        if (!required || (d.urls !== undefined && d.urls.length > 0)) return;
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `image ${image} needs ${d.digest}, which is not in images/blobs`, { details: { file: `images/blobs/sha256/${d.digest.slice(7)}` } });
      }
      if (size !== d.size) {
        throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `image ${image}: ${d.digest} is ${size} bytes, its descriptor says ${d.size}`, { details: { file: `images/blobs/sha256/${d.digest.slice(7)}` } });
      }
      if (!isManifestMediaType(d.mediaType)) {
        blobs.push({ mediaType: d.mediaType, digest: d.digest, size: d.size });
        return;
      }
      const bytes = layout.manifests.get(d.digest);
      if (bytes === undefined) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `image ${image}: ${d.digest} is not a readable ${d.mediaType}`, { details: { file: `images/blobs/sha256/${d.digest.slice(7)}` } });
      const doc: unknown = JSON.parse(bytes.toString('utf8'));
      const isIndex = Array.isArray((doc as { manifests?: unknown }).manifests);
      for (const child of successorsOf(d.mediaType, doc)) visit(child, !isIndex);
      manifests.push({ desc: { mediaType: d.mediaType, digest: d.digest, size: d.size }, bytes });
    };
    visit(root, true);
    if (manifests.length === 0) throw new AirbundleError('ZARF_PACKAGE_CORRUPT', `image ${image}: its index entry ${root.digest} has no manifest in the package`);
    plans.push({ image, ref, target: zarfTargetFor(ref, registry), root: manifests[manifests.length - 1]!.desc, manifests, blobs });
  }
  return plans;
}
