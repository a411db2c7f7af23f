import type { Response } from 'supertest';

/** Asserts the documented error envelope: status, code, request id matching the header. */
export function expectError(res: Response, status: number, code: string): void {
  if (res.status !== status || (res.body as { code?: string }).code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  const body = res.body as Record<string, unknown>;
  expect(typeof body.message).toBe('string');
  expect(body.request_id).toBe(res.headers['x-request-id']);
  expect(typeof body.request_id).toBe('string');
}
