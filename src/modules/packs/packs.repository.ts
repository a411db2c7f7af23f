import { Injectable } from '@nestjs/common';
import { Database, type Tx } from '../../platform/database/database';
import { pgErrorOf } from '../../platform/database/db-errors';
import type { Keyset } from '../../platform/pagination/pagination';
import { exclusiveSoldSql } from '../licensing/exclusive.sql';
import { trackCreditedSql, trackPlayableSql } from '../tracks/track-visibility';

export interface PackRow {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  trackIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface PackLinkRow {
  id: string;
  packId: string;
  slug: string;
  label: string;
  accessCodeHash: string | null;
  expiresAt: Date | null;
  downloads: 'none' | 'tagged' | 'original';
  maxDownloads: number | null;
  downloadsUsed: number;
  revokedAt: Date | null;
  createdAt: Date;
}

/** A link found by its slug, with what the public side shows of its pack. */
export interface OpenedLinkRow extends PackLinkRow {
  ownerId: string;
  packName: string;
  packDescription: string | null;
}

export interface OriginalFile {
  sha256: string;
  bytes: number;
  format: string | null;
  title: string;
}

/** The name is taken (packs_owner_id_name_key). */
export class PackNameTaken extends Error {}

const PACK_COLUMNS = `p.id, p.owner_id AS "ownerId", p.name, p.description, p.created_at AS "createdAt",
  p.updated_at AS "updatedAt",
  ARRAY(SELECT pt.track_id FROM pack_tracks pt WHERE pt.pack_id = p.id ORDER BY pt.position) AS "trackIds"`;

const LINK_COLUMNS = `l.id, l.pack_id AS "packId", l.slug, l.label, l.access_code_hash AS "accessCodeHash",
  l.expires_at AS "expiresAt", l.downloads, l.max_downloads AS "maxDownloads", l.downloads_used AS "downloadsUsed",
  l.revoked_at AS "revokedAt", l.created_at AS "createdAt"`;

/**
 * What a pack link shows of a track `t`: a ready upload (something to hear) that has not been sold
 * exclusively — such a track leaves every link at once, by licensing's own rule, read here.
 */
const SHOWN_SQL = (t: string) => `${trackPlayableSql(t)} AND NOT ${exclusiveSoldSql(t)}`;

const nameTaken = (e: unknown) => {
  const pg = pgErrorOf(e);
  return pg?.code === '23505' && pg.constraint === 'packs_owner_id_name_key';
};

@Injectable()
export class PacksRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  // ---- packs ------------------------------------------------------------------------------------

  /**
   * Creates the pack unless the owner has `limit` already: one owner's creations take turns on an
   * advisory lock and the insert counts under it. False at the limit; PackNameTaken when the
   * owner already has a pack of that name (the unique index decides).
   */
  async create(
    p: { id: string; ownerId: string; name: string; description: string | null; at: Date },
    limit: number,
  ): Promise<boolean> {
    try {
      return await this.db.transaction(async (tx) => {
        await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 2401))`, [p.ownerId]);
        const created = await tx.execute(
          `INSERT INTO packs (id, owner_id, name, description, created_at, updated_at)
           SELECT $1, $2, $3, $4, $5, $5
           WHERE (SELECT count(*) FROM packs WHERE owner_id = $2) < $6::int`,
          [p.id, p.ownerId, p.name, p.description, p.at, limit],
        );
        return created > 0;
      });
    } catch (e) {
      if (nameTaken(e)) throw new PackNameTaken();
      throw e;
    }
  }

  async pack(id: string): Promise<PackRow | null> {
    const [row] = await this.db.query<PackRow>(`SELECT ${PACK_COLUMNS} FROM packs p WHERE p.id = $1`, [id]);
    return row ?? null;
  }

  /** The owner's packs, newest first. */
  async packsOf(ownerId: string, take: number, after?: Keyset): Promise<PackRow[]> {
    return this.db.query<PackRow>(
      `SELECT ${PACK_COLUMNS} FROM packs p WHERE p.owner_id = $1
         AND ($3::timestamptz IS NULL OR (p.created_at, p.id) < ($3::timestamptz, $4::text))
       ORDER BY p.created_at DESC, p.id DESC LIMIT $2`,
      [ownerId, take, after?.at ?? null, after?.id ?? ''],
    );
  }

  /** PackNameTaken when the new name is another pack's of the owner. */
  async update(id: string, change: { name?: string; description?: string | null }, at: Date): Promise<void> {
    try {
      await this.db.execute(
        `UPDATE packs SET name = COALESCE($2, name),
           description = CASE WHEN $3::boolean THEN $4 ELSE description END, updated_at = $5
         WHERE id = $1`,
        [id, change.name ?? null, change.description !== undefined, change.description ?? null, at],
      );
    } catch (e) {
      if (nameTaken(e)) throw new PackNameTaken();
      throw e;
    }
  }

  async delete(id: string): Promise<void> {
    await this.db.execute(`DELETE FROM packs WHERE id = $1`, [id]);
  }

  /** The pack's row lock (its track set's changes take turns); null when it is gone. */
  async lockPack(tx: Tx, id: string): Promise<{ ownerId: string; trackIds: string[] } | null> {
    const [row] = await tx.query<{ ownerId: string; trackIds: string[] }>(
      `SELECT p.owner_id AS "ownerId",
         ARRAY(SELECT pt.track_id FROM pack_tracks pt WHERE pt.pack_id = p.id ORDER BY pt.position) AS "trackIds"
       FROM packs p WHERE p.id = $1 FOR UPDATE OF p`,
      [id],
    );
    return row ?? null;
  }

  /** Of `trackIds`, those the user owns or is credited on. */
  async creditedTracks(tx: Tx, userId: string, trackIds: string[]): Promise<string[]> {
    const rows = await tx.query<{ id: string }>(
      `SELECT t.id FROM tracks t WHERE t.id = ANY($2::text[]) AND ${trackCreditedSql('t', '$1')}`,
      [userId, trackIds],
    );
    return rows.map((r) => r.id);
  }

  /** Under lockPack: the pack holds exactly `trackIds`, in that order (dense positions). */
  async setTracks(tx: Tx, packId: string, trackIds: string[], at: Date): Promise<void> {
    await tx.execute(`DELETE FROM pack_tracks WHERE pack_id = $1`, [packId]);
    await tx.execute(
      `INSERT INTO pack_tracks (pack_id, track_id, position)
       SELECT $1, id, ord - 1 FROM unnest($2::text[]) WITH ORDINALITY AS u(id, ord)`,
      [packId, trackIds],
    );
    await tx.execute(`UPDATE packs SET updated_at = $2 WHERE id = $1`, [packId, at]);
  }

  // ---- links ------------------------------------------------------------------------------------

  async createLink(l: Omit<PackLinkRow, 'downloadsUsed' | 'revokedAt'>): Promise<void> {
    await this.db.execute(
      `INSERT INTO pack_links (id, pack_id, slug, label, access_code_hash, expires_at, downloads, max_downloads, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        l.id,
        l.packId,
        l.slug,
        l.label,
        l.accessCodeHash,
        l.expiresAt,
        l.downloads,
        l.maxDownloads,
        l.createdAt,
      ],
    );
  }

  async link(packId: string, linkId: string): Promise<PackLinkRow | null> {
    const [row] = await this.db.query<PackLinkRow>(
      `SELECT ${LINK_COLUMNS} FROM pack_links l WHERE l.id = $1 AND l.pack_id = $2`,
      [linkId, packId],
    );
    return row ?? null;
  }

  async links(packId: string): Promise<PackLinkRow[]> {
    return this.db.query<PackLinkRow>(
      `SELECT ${LINK_COLUMNS} FROM pack_links l WHERE l.pack_id = $1 ORDER BY l.created_at DESC, l.id DESC`,
      [packId],
    );
  }

  /** Revokes the link (idempotent); false when it is not one of the pack's. */
  async revokeLink(packId: string, linkId: string, at: Date): Promise<boolean> {
    const n = await this.db.execute(
      `UPDATE pack_links SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND pack_id = $2`,
      [linkId, packId, at],
    );
    return n > 0;
  }

  async linkBySlug(slug: string): Promise<OpenedLinkRow | null> {
    const [row] = await this.db.query<OpenedLinkRow>(
      `SELECT ${LINK_COLUMNS}, p.owner_id AS "ownerId", p.name AS "packName", p.description AS "packDescription"
       FROM pack_links l JOIN packs p ON p.id = l.pack_id WHERE l.slug = $1`,
      [slug],
      'pack_link_by_slug',
    );
    return row ?? null;
  }

  /** The pack's tracks a link shows, in order (see SHOWN_SQL). */
  async shownTracks(packId: string): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT t.id FROM pack_tracks pt JOIN tracks t ON t.id = pt.track_id
       WHERE pt.pack_id = $1 AND ${SHOWN_SQL('t')} ORDER BY pt.position`,
      [packId],
      'pack_shown_tracks',
    );
    return rows.map((r) => r.id);
  }

  /** The track when a link of the pack shows it (see SHOWN_SQL), with its duration; else null. */
  async shownTrack(packId: string, trackId: string): Promise<{ durationMs: number | null } | null> {
    const [row] = await this.db.query<{ durationMs: number | null }>(
      `SELECT t.duration_ms AS "durationMs" FROM pack_tracks pt JOIN tracks t ON t.id = pt.track_id
       WHERE pt.pack_id = $1 AND pt.track_id = $2 AND ${SHOWN_SQL('t')}`,
      [packId, trackId],
      'pack_shown_track',
    );
    return row ?? null;
  }

  /**
   * Takes one download of the link: one conditional statement, so under any concurrency the link
   * gives at most max_downloads. False when it is spent (or revoked meanwhile).
   */
  async claimDownload(linkId: string): Promise<boolean> {
    const n = await this.db.execute(
      `UPDATE pack_links SET downloads_used = downloads_used + 1
       WHERE id = $1 AND revoked_at IS NULL AND (max_downloads IS NULL OR downloads_used < max_downloads)`,
      [linkId],
      'pack_link_claim_download',
    );
    return n > 0;
  }

  async originalFile(trackId: string): Promise<OriginalFile | null> {
    const [row] = await this.db.query<OriginalFile>(
      `SELECT t.audio_sha256 AS sha256, a.size_bytes::float8 AS bytes, t.format, t.title
       FROM tracks t JOIN audio_files a ON a.sha256 = t.audio_sha256 WHERE t.id = $1`,
      [trackId],
    );
    return row ?? null;
  }
}
