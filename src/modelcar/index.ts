export { buildModelcar, prepareModelcar } from './build-modelcar.js';
export type { BuiltModelcar, ModelcarOptions, PreparedModelcar } from './build-modelcar.js';
export {
  ANNOTATION_MODELCAR_KEY,
  ANNOTATION_MODELCAR_MODEL,
  ANNOTATION_MODELCAR_MODEL_DIGEST,
  ANNOTATION_MODELCAR_PROVENANCE,
  ANNOTATION_MODELCAR_SOURCE,
  MODELCAR_BUILDER,
  MT_MODELCAR_PROVENANCE,
} from './modelcar-image.js';
export type { ModelcarProvenance } from './modelcar-image.js';
export { MODELCAR_MODEL_DIR, MODELCAR_PROVENANCE_FILE, MT_MODELCAR_LAYER } from './modelcar-layer.js';
export { findModelcar, modelcarRepository, pushModelcar } from './push-modelcar.js';
export type { PushedModelcar, PushModelcarOptions } from './push-modelcar.js';
