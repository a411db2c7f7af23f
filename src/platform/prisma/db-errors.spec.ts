import { Prisma } from '@prisma/client';
import { DatabaseError } from 'pg';
import { pgErrorOf } from './db-errors';

const prismaError = (code: string, originalCode: string, index: string) =>
  new Prisma.PrismaClientKnownRequestError('failed', {
    code,
    clientVersion: 'test',
    meta: { driverAdapterError: { cause: { originalCode, constraint: { index } } } },
  });

describe('pgErrorOf', () => {
  it('reads the SQLSTATE and constraint of model and raw query errors alike', () => {
    expect(pgErrorOf(prismaError('P2003', '23503', 'submissions_track_id_fkey'))).toEqual({
      code: '23503',
      constraint: 'submissions_track_id_fkey',
    });
    expect(pgErrorOf(prismaError('P2010', '23505', 'x_key'))).toEqual({ code: '23505', constraint: 'x_key' });
    expect(pgErrorOf(new Error('nope'))).toBeNull();
  });

  it('reads the SQLSTATE and constraint of a pg error', () => {
    const e = Object.assign(new DatabaseError('dup', 1, 'error'), { code: '23505', constraint: 'x_key' });
    expect(pgErrorOf(e)).toEqual({ code: '23505', constraint: 'x_key' });
  });
});
