import type { Workload } from '../../schema/generated/bundle-spec.js';
import type { Generator } from './generator-context.js';
import { kserve } from './kserve.js';
import { modelcar } from './modelcar.js';
import { ollama } from './ollama.js';
import { prepull } from './prepull.js';
import { vllm } from './vllm.js';

/** generators by the name a workload's `generator:` uses. */
export const generators: Record<Workload['generator'], Generator> = { vllm, ollama, kserve, prepull, modelcar };
