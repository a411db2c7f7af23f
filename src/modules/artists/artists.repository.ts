import { Injectable } from '@nestjs/common';
import { Prisma, type Artist } from '@prisma/client';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { pgErrorOf } from '../../platform/database/db-errors';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import { ArtistsErrors } from './artists.errors';

/** Which unique index a P2002 hit. */
function uniqueTarget(e: Prisma.PrismaClientKnownRequestError): string {
  const target = (e.meta as { target?: string[] | string } | undefined)?.target;
  return Array.isArray(target) ? target.join(',') : String(target ?? e.message);
}

function conflict(e: unknown): never {
  if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === 'P2002') {
    throw new AppError(
      uniqueTarget(e).includes('slug') ? ArtistsErrors.slugTaken : ArtistsErrors.artistAlreadyExists,
    );
  }
  // the same, from a statement on the pg pool
  const pg = pgErrorOf(e);
  if (pg?.code === '23505' && pg.constraint === 'artists_slug_key')
    throw new AppError(ArtistsErrors.slugTaken);
  throw e;
}

/**
 * One statement: the new values, and `verified` kept only while name and slug stay what they were
 * (SET reads the row's old values), so a verified artist that renames itself is unverified until
 * an admin approves a new request, with no moment in which the new name shows as verified.
 */
const UPDATE_ARTIST_SQL = `
  UPDATE artists SET
    name = COALESCE($2, name),
    slug = COALESCE($3, slug),
    bio = CASE WHEN $4 THEN $5 ELSE bio END,
    verified = verified AND name = COALESCE($2, name) AND slug = COALESCE($3, slug),
    updated_at = $6,
    version = version + 1
  WHERE id = $1 AND ($7::int IS NULL OR version = $7)
  RETURNING id`;

/** An artist row as Prisma returned it (camel-cased). */
const ARTIST_COLUMNS = `id, user_id AS "userId", name, slug, verified, bio, version,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

@Injectable()
export class ArtistsRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  /** The unique indexes on user_id and slug decide between concurrent creations. */
  async create(data: {
    userId: string;
    name: string;
    slug: string;
    bio?: string;
    at: Date;
  }): Promise<Artist> {
    return this.prisma.artist
      .create({
        data: {
          id: newId('art'),
          userId: data.userId,
          name: data.name,
          slug: data.slug,
          bio: data.bio,
          createdAt: data.at,
          updatedAt: data.at,
        },
      })
      .catch(conflict);
  }

  async findByIdOrSlug(idOrSlug: string, tx?: Tx): Promise<Artist | null> {
    const [artist] = await (tx ?? this.db).query<Artist>(
      `SELECT ${ARTIST_COLUMNS} FROM artists WHERE id = $1 OR slug = $2 LIMIT 1`,
      [idOrSlug, idOrSlug.toLowerCase()],
      'artist_by_id_or_slug',
    );
    return artist ?? null;
  }

  findByUser(userId: string): Promise<Artist | null> {
    return this.prisma.artist.findUnique({ where: { userId } });
  }

  /**
   * Updates if the version matches (when given); null: no such artist or a stale version. A new
   * name or slug clears `verified` in the same statement (UPDATE_ARTIST_SQL).
   */
  async update(
    id: string,
    data: { name?: string; slug?: string; bio?: string | null },
    expectedVersion: number | undefined,
    at: Date,
  ): Promise<Artist | null> {
    const params = [
      id,
      data.name ?? null,
      data.slug ?? null,
      data.bio !== undefined,
      data.bio ?? null,
      at,
      expectedVersion ?? null,
    ];
    const updated = await this.db.query<{ id: string }>(UPDATE_ARTIST_SQL, params).catch(conflict);
    return updated.length ? this.prisma.artist.findUnique({ where: { id } }) : null;
  }

  async setVerified(tx: Tx, artistId: string, verified: boolean, at: Date): Promise<boolean> {
    const count = await tx.execute(
      'UPDATE artists SET verified = $2, updated_at = $3, version = version + 1 WHERE id = $1',
      [artistId, verified, at],
    );
    return count === 1;
  }
}
