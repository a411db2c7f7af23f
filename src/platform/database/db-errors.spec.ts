import { Prisma } from '@prisma/client';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { DatabaseError, Pool } from 'pg';
import { PgBoss, type ConstructorOptions } from 'pg-boss';
import type { AppConfig } from '../../config/config';
import { isDatabaseUnavailable, markConnectFailure, pgErrorOf } from './db-errors';
import { PrismaService } from '../prisma/prisma.service';
import { Database } from './database';
import { ConnectTaggedClient, ConnectTaggedPool } from './tagged-connections';

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

/** a pg error as PostgreSQL sends it (the fields pg's parser fills) */
const pgError = (code: string, severity = 'ERROR', message = 'failed') =>
  Object.assign(new DatabaseError(message, 1, 'error'), { code, severity });
/** a socket error as Node raises it */
const socketError = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1, syscall: 'connect' });

describe('isDatabaseUnavailable', () => {
  it('counts a statement on a connection that died or could not be had, by code', () => {
    // too many connections, shutting down, starting up: PostgreSQL ends the session (FATAL)
    expect(isDatabaseUnavailable(pgError('53300', 'FATAL', 'sorry, too many clients already'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P01', 'FATAL', 'terminating connection'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P03', 'FATAL', 'the database system is starting up'))).toBe(true);
    // the same codes without the session's end said (as a driver adapter may copy them)
    for (const code of ['53300', '57P01', '57P02', '57P03', '08006'])
      expect(isDatabaseUnavailable({ originalCode: code })).toBe(true);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'])
      expect(isDatabaseUnavailable(socketError(code))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('counts anything raised while connecting, whatever its code', () => {
    const refused = pgError('55000', 'FATAL', 'database "x" is not currently accepting connections');
    expect(isDatabaseUnavailable(markConnectFailure(refused))).toBe(true);
    // a code nobody listed, not even a session-ending one: where it happened decides
    const unknown = pgError('ZZ999', 'ERROR', 'something new');
    expect(isDatabaseUnavailable(unknown)).toBe(false);
    expect(isDatabaseUnavailable(markConnectFailure(unknown))).toBe(true);
    // found through a wrapper's cause (pg-pool's connection timeout wraps its cause)
    expect(isDatabaseUnavailable(new Error('outer', { cause: markConnectFailure(new Error('x')) }))).toBe(
      true,
    );
  });

  it('leaves a statement that failed on a healthy connection alone', () => {
    expect(isDatabaseUnavailable(pgError('55000', 'ERROR', 'object not in prerequisite state'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('23505', 'ERROR', 'duplicate key'))).toBe(false);
    expect(
      isDatabaseUnavailable(pgError('57014', 'ERROR', 'canceling statement due to statement timeout')),
    ).toBe(false);
    expect(isDatabaseUnavailable(prismaError('P2002', '23505', 'x_key'))).toBe(false);
    expect(isDatabaseUnavailable(new Error('nope'))).toBe(false);
  });

  it("reads Prisma's driver adapter errors: kinds and copied codes in meta.driverAdapterError", () => {
    const adapterError = (cause: Record<string, unknown>) =>
      new Prisma.PrismaClientKnownRequestError('failed', {
        code: 'P2010',
        clientVersion: '6.19.3',
        meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
      });
    expect(isDatabaseUnavailable(adapterError({ kind: 'TooManyConnections' }))).toBe(true);
    expect(isDatabaseUnavailable(adapterError({ kind: 'DatabaseNotReachable' }))).toBe(true);
    expect(isDatabaseUnavailable(adapterError({ kind: 'SocketTimeout' }))).toBe(true);
    expect(
      isDatabaseUnavailable(adapterError({ kind: 'postgres', originalCode: '57P03', severity: 'FATAL' })),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(adapterError({ kind: 'postgres', originalCode: '42601', severity: 'ERROR' })),
    ).toBe(false);
  });
});

/**
 * A PostgreSQL that answers every startup with an ErrorResponse of a code nobody lists, severity
 * ERROR (not the FATAL that would give it away): only where it happened says "unavailable".
 */
class RefusingServer {
  private readonly server: Server = createServer((socket) => {
    socket.once('data', () => {
      const fields = Buffer.from('SERROR\0VERROR\0CZZ999\0Mnot today\0\0');
      const head = Buffer.alloc(5);
      head.write('E', 0);
      head.writeInt32BE(fields.length + 4, 1);
      socket.end(Buffer.concat([head, fields]));
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `postgresql://u:p@127.0.0.1:${(this.server.address() as AddressInfo).port}/db`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('connect failures are marked where they happen', () => {
  const server = new RefusingServer();
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const expectUnavailable = async (work: Promise<unknown>) => {
    const err = await work.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(isDatabaseUnavailable(err)).toBe(true);
  };

  it('ConnectTaggedPool: connect() and query()', async () => {
    const pool = new ConnectTaggedPool({ connectionString: server.url });
    await expectUnavailable(pool.connect());
    await expectUnavailable(pool.query('SELECT 1'));
    await pool.end();
  });

  it("ConnectTaggedClient in another library's pool (pg-boss passes pg's Client option on)", async () => {
    const plain = new Pool({ connectionString: server.url });
    const unmarked = await plain.query('SELECT 1').catch((e: unknown) => e);
    expect(isDatabaseUnavailable(unmarked)).toBe(false);
    await plain.end();
    const pool = new Pool({ connectionString: server.url, Client: ConnectTaggedClient });
    await expectUnavailable(pool.query('SELECT 1'));
    await pool.end();
    // as JobsService configures pg-boss
    const boss = new PgBoss({
      connectionString: server.url,
      Client: ConnectTaggedClient,
    } as ConstructorOptions);
    boss.on('error', () => undefined);
    await expectUnavailable(boss.start());
    await boss.stop({ graceful: false }).catch(() => undefined);
  });

  it("Database's statements and transactions, and Prisma's model, raw and transaction queries on its pool", async () => {
    const database = new Database({ databaseUrl: server.url, requestTimeoutMs: 5_000 } as AppConfig);
    const prisma = new PrismaService(database);
    try {
      await expectUnavailable(prisma.user.findFirst());
      await expectUnavailable(prisma.$queryRaw`SELECT 1`);
      await expectUnavailable(prisma.$transaction(async (tx) => tx.user.findFirst()));
      await expectUnavailable(database.query('SELECT 1'));
      await expectUnavailable(database.transaction(async (tx) => tx.query('SELECT 1')));
    } finally {
      await prisma.onModuleDestroy();
      await database.onApplicationShutdown();
    }
  });
});
