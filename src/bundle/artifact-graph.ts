import type { Descriptor } from '../content/descriptor.js';
import { parseDigest } from '../content/digest.js';
import { successors } from '../content/graph.js';
import { AirbundleError, errorMessage, isAirbundleError, type ErrorCode } from '../errors.js';
import type { Artifact } from './manifest.js';
import type { BundleReader } from './reader.js';

/** GraphProblem is a node of an artifact's graph that the bundle cannot serve as its parent describes it. */
export interface GraphProblem {
  code: ErrorCode;
  message: string;
  artifact: string;
  blob: string;
}

/** ArtifactGraph is every node of one artifact, children before parents, and what is wrong with them. */
export interface ArtifactGraph {
  artifact: Artifact;
  root: Descriptor;
  nodes: Descriptor[];
  problems: GraphProblem[];
}

/**
 * walkArtifact lists the graph of an artifact by reading its manifests and indexes (each verified against its
 * digest, at most 4 MiB) and checks every node against the bundle before a byte of it is sent anywhere: it must
 * be in the archive, with the size its parent gives, and listed so in the bundle.json blob table (which verify
 * hashes). A node that fails is reported and not descended into. Nothing is thrown for content problems.
 */
export async function walkArtifact(reader: BundleReader, artifact: Artifact, signal?: AbortSignal): Promise<ArtifactGraph> {
  const table = new Map(reader.manifest.blobs.map((b) => [b.digest, b.size]));
  const root: Descriptor = { mediaType: artifact.root.mediaType, digest: parseDigest(artifact.root.digest, `artifact ${artifact.name} root digest`), size: artifact.root.size };
  const seen = new Set<string>();
  const nodes: Descriptor[] = [];
  const problems: GraphProblem[] = [];
  const what = `artifact ${artifact.name} (${artifact.ref})`;
  const problem = (code: ErrorCode, node: Descriptor, message: string): void => {
    problems.push({ code, message: `${what}: ${message}`, artifact: artifact.name, blob: node.digest });
  };

  const visit = async (node: Descriptor, parent: string): Promise<void> => {
    if (seen.has(node.digest)) return;
    seen.add(node.digest);
    const stored = await reader.storedSize(node);
    const listed = table.get(node.digest);
    if (stored === undefined) {
      problem('BLOB_NOT_FOUND', node, `${parent} references ${node.mediaType} ${node.digest}, which is not in ${reader.displayName}`);
      return;
    }
    if (stored !== node.size) {
      problem('SIZE_MISMATCH', node, `${parent} gives ${node.digest} ${node.size} bytes, ${reader.displayName} holds ${stored}`);
      return;
    }
    if (listed === undefined) {
      problem('BUNDLE_CORRUPT', node, `${parent} references ${node.digest}, which bundle.json does not list (so nothing covers its bytes)`);
      return;
    }
    if (listed !== node.size) {
      problem('SIZE_MISMATCH', node, `bundle.json lists ${node.digest} with ${listed} bytes, ${parent} and the archive with ${node.size}`);
      return;
    }
    let children: Descriptor[];
    try {
      children = await successors(reader, node, signal);
    } catch (err) {
      if (!isAirbundleError(err) || err.code === 'ABORTED') throw err;
      problem(err.code, node, errorMessage(err));
      return;
    }
    for (const child of children) await visit(child, `${node.mediaType} ${node.digest}`);
    nodes.push(node);
  };
  await visit(root, 'bundle.json');
  return { artifact, root, nodes, problems };
}

/**
 * checkedGraphs walks every artifact's graph (see {@link walkArtifact}) and throws the first problem found, so a
 * command that writes somewhere refuses a bundle it could only copy in part before it has written anything.
 */
export async function checkedGraphs(reader: BundleReader, artifacts: Artifact[], signal?: AbortSignal): Promise<ArtifactGraph[]> {
  const graphs: ArtifactGraph[] = [];
  for (const a of artifacts) {
    const graph = await walkArtifact(reader, a, signal);
    const first = graph.problems[0];
    if (first !== undefined) {
      const more = graph.problems.length > 1 ? ` (and ${graph.problems.length - 1} more problem${graph.problems.length > 2 ? 's' : ''})` : '';
      throw new AirbundleError(first.code, `${first.message}${more}`, {
        hint: 'nothing was written; run bundle verify on it to list every problem, and get the bundle again from its publisher',
        details: { artifact: first.artifact, blob: first.blob },
      });
    }
    graphs.push(graph);
  }
  return graphs;
}
