/**
 * What `bundle zarf import` could not carry, or carried differently. Nothing in a Zarf definition is dropped
 * without an entry here.
 */

/** ReportKind: `not-carried` is left out of the bundle; `changed` is carried with different behaviour; `warning` is carried but will need attention at deploy. */
export type ReportKind = 'not-carried' | 'changed' | 'warning';

/** ReportItem is one thing the import left out or changed, placed in the Zarf definition. */
export interface ReportItem {
  kind: ReportKind;
  /** Where in the composed definition: `component game`, `component game: manifests[0] multi-games`. */
  where: string;
  /** What happened, one sentence. */
  message: string;
  /** What the user can do about it. */
  hint?: string;
}
