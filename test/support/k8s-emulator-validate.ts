/**
 * The subset of API-server validation the emulator enforces, with the real messages (k8s.io/kubernetes
 * pkg/apis/core/validation and pkg/apis/apps/validation, v1.31): object names, pod templates (containers need a
 * name and an image; Jobs need restartPolicy OnFailure or Never), workload selectors matching template labels,
 * PVC access modes and size, and the fields that are immutable after creation.
 */
import { deepEqual, getAt, isObj, type Obj } from './k8s-emulator-ssa.js';

/** Cause is one `details.causes` entry of a 422 Status. */
export interface Cause {
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden';
  message: string;
  field: string;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const required = (field: string): Cause => ({ reason: 'FieldValueRequired', message: 'Required value', field });

/** validate returns what is wrong with `obj` (an update of `existing` when given); empty when it is valid. */
export function validate(obj: Obj, existing?: Obj): Cause[] {
  const causes: Cause[] = [];
  const name = getAt(obj, ['metadata', 'name']);
  if (typeof name !== 'string' || name === '') {
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      field: 'metadata.name',
    });
  }
  switch (obj['kind']) {
    case 'Pod':
      causes.push(...podSpec(getAt(obj, ['spec']), 'spec'));
      break;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
      causes.push(...selector(obj), ...podSpec(getAt(obj, ['spec', 'template', 'spec']), 'spec.template.spec'));
      break;
    case 'Job': {
      causes.push(...podSpec(getAt(obj, ['spec', 'template', 'spec']), 'spec.template.spec'));
      const policy = getAt(obj, ['spec', 'template', 'spec', 'restartPolicy']);
      if (policy !== 'OnFailure' && policy !== 'Never') {
        causes.push(
          policy === undefined
            ? { reason: 'FieldValueRequired', message: 'Required value: valid values: "OnFailure", "Never"', field: 'spec.template.spec.restartPolicy' }
            : { reason: 'FieldValueNotSupported', message: `Unsupported value: "${String(policy)}": supported values: "OnFailure", "Never"`, field: 'spec.template.spec.restartPolicy' },
        );
      }
      break;
    }
    case 'PersistentVolumeClaim': {
      const modes = getAt(obj, ['spec', 'accessModes']);
      if (!Array.isArray(modes) || modes.length === 0) causes.push({ ...required('spec.accessModes'), message: 'Required value: at least 1 access mode is required' });
      if (getAt(obj, ['spec', 'resources', 'requests', 'storage']) === undefined) causes.push(required('spec.resources[storage]'));
      break;
    }
  }
  if (existing !== undefined) causes.push(...immutable(obj, existing));
  return causes;
}

function podSpec(spec: unknown, at: string): Cause[] {
  const containers = getAt(spec, ['containers']);
  if (!Array.isArray(containers) || containers.length === 0) return [required(`${at}.containers`)];
  const causes: Cause[] = [];
  containers.forEach((c, i) => {
    if (!isObj(c) || typeof c['name'] !== 'string' || c['name'] === '') causes.push(required(`${at}.containers[${i}].name`));
    if (!isObj(c) || typeof c['image'] !== 'string' || c['image'] === '') causes.push(required(`${at}.containers[${i}].image`));
  });
  return causes;
}

function selector(obj: Obj): Cause[] {
  const matchLabels = getAt(obj, ['spec', 'selector', 'matchLabels']);
  if (!isObj(matchLabels) || Object.keys(matchLabels).length === 0) return [{ ...required('spec.selector'), message: 'Required value' }];
  const labels = getAt(obj, ['spec', 'template', 'metadata', 'labels']);
  const ok = isObj(labels) && Object.entries(matchLabels).every(([k, v]) => labels[k] === v);
  if (ok) return [];
  const shown = isObj(labels) ? `map[string]string{${Object.entries(labels).map(([k, v]) => `"${k}":"${String(v)}"`).join(', ')}}` : 'map[string]string(nil)';
  return [{ reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: \`selector\` does not match template \`labels\``, field: 'spec.template.metadata.labels' }];
}

function immutable(obj: Obj, existing: Obj): Cause[] {
  const forbid = (field: string, message = 'Invalid value: field is immutable'): Cause => ({ reason: 'FieldValueInvalid', message, field });
  const same = (...path: string[]): boolean => deepEqual(getAt(obj, path), getAt(existing, path));
  switch (obj['kind']) {
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
      return same('spec', 'selector') ? [] : [forbid('spec.selector')];
    case 'Job':
      return same('spec', 'template') ? [] : [forbid('spec.template')];
    case 'PersistentVolumeClaim': {
      const strip = (o: Obj): unknown => {
        const spec = isObj(o['spec']) ? { ...o['spec'] } : {};
        delete spec['resources'];
        delete spec['volumeName'];
        return spec;
      };
      return deepEqual(strip(obj), strip(existing))
        ? []
        : [{ reason: 'FieldValueForbidden', message: 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims', field: 'spec' }];
    }
    default:
      return [];
  }
}
