import { expect } from 'vitest';
import { AirbundleError, type ErrorCode } from '../../src/errors.js';

/** expectCode asserts that a promise rejects with an AirbundleError of the given code, and returns it. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<AirbundleError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a rejection with code ${code}`).toBeInstanceOf(AirbundleError);
  expect((caught as AirbundleError).code, (caught as AirbundleError).message).toBe(code);
  return caught as AirbundleError;
}
