import { Injectable } from '@nestjs/common';
import { Prisma, type Artist } from '@prisma/client';
import { AppError } from '../../platform/errors/app-error';
import { newId } from '../../platform/ids';
import { PrismaService, type Tx } from '../../platform/prisma/prisma.service';
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
  throw e;
}

@Injectable()
export class ArtistsRepository {
  constructor(private readonly prisma: PrismaService) {}

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

  findByIdOrSlug(idOrSlug: string, tx?: Tx): Promise<Artist | null> {
    return (tx ?? this.prisma).artist.findFirst({
      where: { OR: [{ id: idOrSlug }, { slug: idOrSlug.toLowerCase() }] },
    });
  }

  findByUser(userId: string): Promise<Artist | null> {
    return this.prisma.artist.findUnique({ where: { userId } });
  }

  /** Updates if the version matches (when given); null: no such artist or a stale version. */
  async update(
    id: string,
    data: { name?: string; slug?: string; bio?: string },
    expectedVersion: number | undefined,
    at: Date,
  ): Promise<Artist | null> {
    const { count } = await this.prisma.artist
      .updateMany({
        where: { id, ...(expectedVersion !== undefined ? { version: expectedVersion } : {}) },
        data: { ...data, updatedAt: at, version: { increment: 1 } },
      })
      .catch(conflict);
    return count ? this.prisma.artist.findUnique({ where: { id } }) : null;
  }

  async setVerified(tx: Tx, artistId: string, verified: boolean, at: Date): Promise<boolean> {
    const { count } = await tx.artist.updateMany({
      where: { id: artistId },
      data: { verified, updatedAt: at, version: { increment: 1 } },
    });
    return count === 1;
  }
}
