/**
 * The exec protocol of the Kubernetes API emulator, pure: channel framing, the final Status, and how a command
 * meant for a pod is mapped onto this machine. Protocol: k8s.io/apimachinery pkg/util/httpstream/wsstream
 * (v1.31) and KEP-4006 — binary messages `[channel, ...bytes]`, 0 stdin, 1 stdout, 2 stderr, 3 the final
 * `Status`, 4 resize; `v5.channel.k8s.io` adds `[255, channel]` to close a stream (the client closes stdin).
 */

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

/** SUBPROTOCOLS are the exec subprotocols the emulator speaks, preferred first. */
export const SUBPROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** frame prefixes a payload with its channel byte. */
export function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

/** exitStatus is the Status the kubelet sends on channel 3 when the command ends (remotecommand/v4). */
export function exitStatus(exitCode: number, command: readonly string[]): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** startFailure is the Status sent when the command could not be started at all. */
export function startFailure(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', details: { causes: [{ message }] } };
}

/** pickSubprotocol chooses the subprotocol among those the client offers, preferring the newest we support. */
export function pickSubprotocol(offered: ReadonlySet<string>, supported: readonly string[]): string | false {
  return supported.find((p) => offered.has(p)) ?? false;
}

/**
 * mapMounts rewrites pod paths in a command to local directories: with `{'/models': '/tmp/x'}`, the argument
 * `/models/a` becomes `/tmp/x/a`, also inside `sh -c` scripts. This is how a directory on this machine stands in
 * for a volume mounted in the pod.
 */
export function mapMounts(args: readonly string[], mounts: Readonly<Record<string, string>>): string[] {
  const entries = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  if (entries.length === 0) return [...args];
  return args.map((arg) => {
    let out = arg;
    for (const [podPath, local] of entries) {
      const escaped = podPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      out = out.replace(new RegExp(`(^|[\\s'"=:])${escaped}(?=/|$|[\\s'";:])`, 'g'), (_m, pre: string) => `${pre}${local}`);
    }
    return out;
  });
}
