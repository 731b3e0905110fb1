import { checkedGraphs } from '../bundle/artifact-graph.js';
import { BundleReader } from '../bundle/reader.js';
import { AirbundleError } from '../errors.js';
import type { ProgressSink } from '../progress/events.js';
import { findModel } from './find-model.js';
import { isMaterializeLayout, MATERIALIZE_LAYOUTS, type MaterializeLayout, type MaterializePlan } from './materialize-plan.js';
import { planMaterialization } from './plan-materialization.js';
import { writePlan, type MaterializeResult } from './write-plan.js';

/** MaterializeOptions for {@link materializeModel}. */
export interface MaterializeOptions {
  /** The model: its artifact name or its ref. */
  model: string;
  layout: MaterializeLayout;
  /** Target directory (created). The marker files go at its top. */
  to: string;
  onEvent?: ProgressSink;
  signal?: AbortSignal;
  /** Files written at once. Default 4. */
  concurrency?: number;
}

/**
 * materializeModel lays a model artifact of a bundle out as files under `to`, in the `plain`, `hf-cache` or
 * `ollama` layout, reading each blob from its place in the bundle (no extraction) and verifying it on the way.
 * It resumes an interrupted run and does nothing when the target is already complete (see writePlan).
 */
export async function materializeModel(bundlePath: string, options: MaterializeOptions): Promise<MaterializeResult> {
  const opened = await openMaterializePlan(bundlePath, options);
  try {
    return await writePlan(opened.plan, options.to, options);
  } finally {
    await opened.close();
  }
}

/** OpenedPlan is a plan whose bundle stays open (for streaming to a pod) until `close`. */
export interface OpenedPlan {
  plan: MaterializePlan;
  close(): Promise<void>;
}

/**
 * openMaterializePlan opens the bundle and plans the layout of one of its models, keeping the bundle open
 * so that a transport (createFileTarStream, pullScript) can use the plan. Call `close` when done.
 */
export async function openMaterializePlan(
  bundlePath: string,
  options: Pick<MaterializeOptions, 'model' | 'layout' | 'onEvent' | 'signal'>,
): Promise<OpenedPlan> {
  if (!isMaterializeLayout(options.layout)) {
    throw new AirbundleError('USAGE', `unknown layout ${JSON.stringify(options.layout)}`, { hint: `use one of: ${MATERIALIZE_LAYOUTS.join(', ')}` });
  }
  const reader = await BundleReader.open(bundlePath);
  try {
    const artifact = findModel(reader.manifest, options.model, reader.displayName);
    // Every blob of the model is checked to be there before the target is created.
    await checkedGraphs(reader, [artifact], options.signal);
    const plan = await planMaterialization(reader, artifact, options.layout, options);
    return { plan, close: () => reader.close() };
  } catch (err) {
    await reader.close();
    throw err;
  }
}
