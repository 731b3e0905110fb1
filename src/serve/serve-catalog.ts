import type { Descriptor } from '../content/descriptor.js';
import { walkGraph } from '../content/graph.js';
import type { Fetcher } from '../content/storage.js';
import { targetFor } from '../targets/name-mapping.js';

/** ServedRepository is one repository a served bundle exposes: its tags and every digest reachable from them. */
export interface ServedRepository {
  tags: Map<string, Descriptor>;
  /** Every node (manifest, config, layer) of the repository's artifacts, by digest. */
  nodes: Map<string, Descriptor>;
}

/** ServeCatalog is what a served bundle holds, by repository name. */
export type ServeCatalog = Map<string, ServedRepository>;

/** buildServeCatalog maps each artifact's ref to a repository and tag and indexes the nodes of its graph. */
export async function buildServeCatalog(fetcher: Fetcher, artifacts: Array<{ ref: string; root: Descriptor }>, prefix = ''): Promise<ServeCatalog> {
  const catalog: ServeCatalog = new Map();
  for (const a of artifacts) {
    const { repository, tag } = targetFor(a.ref, prefix);
    let repo = catalog.get(repository);
    if (repo === undefined) {
      repo = { tags: new Map(), nodes: new Map() };
      catalog.set(repository, repo);
    }
    repo.tags.set(tag, a.root);
    for (const node of await walkGraph(fetcher, a.root)) repo.nodes.set(node.digest, node);
  }
  return catalog;
}
