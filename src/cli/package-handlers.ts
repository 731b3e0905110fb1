import type { DeployFlags } from './commands/deploy-command.js';
import type { PushFlags } from './commands/push-command.js';

/**
 * ForeignPackageHandler lets another package format (Zarf's, from zarf-compat/) take over `bundle push` and
 * `bundle deploy` for the paths it recognises, so that src/ stays agnostic of those formats: the format module
 * registers itself from main.ts, and the commands ask here before opening a bundle.
 */
export interface ForeignPackageHandler {
  /** Format name, for messages. */
  name: string;
  /** detect tells, by name and first bytes, whether `path` is a package of this format. */
  detect(path: string): Promise<boolean>;
  push(path: string, flags: PushFlags): Promise<void>;
  deploy(path: string, flags: DeployFlags): Promise<void>;
}

const handlers: ForeignPackageHandler[] = [];

/** registerPackageHandler adds a format (called once per format, from main.ts wiring). */
export function registerPackageHandler(handler: ForeignPackageHandler): void {
  if (!handlers.some((h) => h.name === handler.name)) handlers.push(handler);
}

/** foreignPackageHandler returns the handler of the format `path` is in, or undefined for our own bundles. */
export async function foreignPackageHandler(path: string): Promise<ForeignPackageHandler | undefined> {
  for (const h of handlers) if (await h.detect(path)) return h;
  return undefined;
}
