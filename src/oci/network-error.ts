/**
 * Socket and TLS failures, turned into REGISTRY_UNREACHABLE naming host:port, with a hint that fits the cause
 * (`--ca-file` / `--insecure` for an untrusted certificate, `--plain-http` for a registry that does not speak TLS),
 * and marked transient when retry.ts says the failure is worth retrying.
 */
import { AirbundleError, errorMessage } from '../errors.js';
import { retryableNetworkError, transientDetails } from './retry.js';
import { TLS_TRUST_CODES } from '../util/network-errors.js';

/** hostPort names a URL's endpoint with its port, as users type it in flags. */
export function hostPort(url: URL): string {
  return `${url.hostname}:${url.port !== '' ? url.port : url.protocol === 'https:' ? '443' : '80'}`;
}

/** networkError turns a socket or TLS failure into REGISTRY_UNREACHABLE with a hint that fits the cause. */
export function networkError(err: unknown, url: URL, answeredBefore: boolean): AirbundleError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = hostPort(url);
  const reason = errno !== undefined && !errorMessage(err).includes(errno) ? `${errno} ${errorMessage(err)}` : errorMessage(err);
  let hint: string;
  if (errno !== undefined && TLS_TRUST_CODES.has(errno)) {
    hint = `the TLS certificate of ${where} is not trusted: pass --ca-file with the CA that signed it (or --insecure to skip verification)`;
  } else if (errno === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(errorMessage(err))) {
    hint = `${where} does not speak TLS: if it is a plain-HTTP registry, pass --plain-http`;
  } else if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') {
    hint = `check the host name ${url.hostname}`;
  } else if (errno === 'ECONNREFUSED') {
    hint = `is a registry listening on ${where}? Check the host and port${url.protocol === 'https:' ? '; a plain-HTTP registry needs --plain-http' : ''}`;
  } else {
    hint = `check that ${where} is reachable; for a plain-HTTP registry pass --plain-http, for a private CA --ca-file`;
  }
  return new AirbundleError('REGISTRY_UNREACHABLE', `cannot reach registry ${where}: ${reason}`, {
    cause: err,
    hint,
    details: { host: where, errno, ...(retryableNetworkError(errno, answeredBefore) ? transientDetails() : {}) },
  });
}
