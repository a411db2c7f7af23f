import { Injectable } from '@nestjs/common';
import type { Keyset } from '../../platform/pagination/pagination';
import { AppError } from '../../platform/errors/app-error';
import { pgErrorOf } from '../../platform/database/db-errors';
import { Database, type Tx } from '../../platform/database/database';
import { PrismaService } from '../../platform/prisma/prisma.service';
import { TracksErrors } from '../tracks/tracks.errors';
import { type EntrySummaryRow, entrySummaryColumns } from '../tracks/track-summary';
import { readerValues } from '../tracks/track-visibility';
import type { Principal } from '../../platform/access/principal';

/** What the access rules (playlist-access.ts) need to know about a playlist and its members. */
export interface PlaylistMembers {
  ownerId: string;
  visibility: 'public' | 'private';
  editorIds: readonly string[];
  /** users with an open (pending, unexpired) invitation: they may look at what they are invited to */
  inviteeIds: readonly string[];
}

export interface PlaylistRow extends PlaylistMembers {
  id: string;
  name: string;
  description: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  editors: { user_id: string; added_at: string }[];
}

export type PlaylistListRow = PlaylistRow & { trackCount: number; durationMs: string | number };
export type EntryRow = EntrySummaryRow & { trackId: string; addedBy: string; addedAt: Date };

interface RawPlaylist extends Omit<PlaylistRow, 'editorIds' | 'inviteeIds'> {
  invited: boolean;
}

export interface NewPlaylist {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  visibility: 'public' | 'private';
  at: Date;
}

/** `$2` is the caller (or '' when anonymous), `$3` the clock's now: an open invitation makes a viewer. */
const PLAYLIST_COLUMNS = `
  p.id, p.owner_id AS "ownerId", p.name, p.description, p.visibility::text AS visibility, p.version,
  p.created_at AS "createdAt", p.updated_at AS "updatedAt",
  COALESCE((SELECT json_agg(json_build_object('user_id', e.user_id, 'added_at', e.added_at) ORDER BY e.added_at, e.user_id)
            FROM playlist_editors e WHERE e.playlist_id = p.id), '[]'::json) AS editors,
  EXISTS (SELECT 1 FROM playlist_invitations i WHERE i.playlist_id = p.id AND i.invitee_id = $2
            AND i.status = 'pending' AND i.expires_at > $3) AS invited`;

/** The playlist row's lock: every change of a playlist takes it first (`withLocked`). */
const PLAYLIST_LOCK_SQL = `SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.id = $1 FOR UPDATE OF p`;

/** What runs under the playlist's lock: the transaction, and the row (null when it is gone). */
type Locked<T> = (tx: Tx, playlist: PlaylistRow | null) => Promise<T>;

const STATS = `
  (SELECT count(*)::int FROM playlist_tracks pt WHERE pt.playlist_id = p.id) AS "trackCount",
  (SELECT COALESCE(sum(t.duration_ms), 0)::bigint FROM playlist_tracks pt JOIN tracks t ON t.id = pt.track_id
    WHERE pt.playlist_id = p.id) AS "durationMs"`;

function toRow(r: RawPlaylist, caller: string): PlaylistRow {
  const { invited, ...rest } = r;
  return { ...rest, editorIds: r.editors.map((e) => e.user_id), inviteeIds: invited ? [caller] : [] };
}

@Injectable()
export class PlaylistsRepository {
  constructor(
    private readonly db: Database,
    private readonly prisma: PrismaService,
  ) {}

  // ---- reading ----------------------------------------------------------------------------------

  async find(id: string, caller: string | undefined, now: Date): Promise<PlaylistRow | null> {
    const [row] = await this.db.query<RawPlaylist>(
      `SELECT ${PLAYLIST_COLUMNS} FROM playlists p WHERE p.id = $1`,
      [id, caller ?? '', now],
      'playlist_find',
    );
    return row ? toRow(row, caller ?? '') : null;
  }

  /** The playlist's tracks in order, each with the summary of its track and whether the caller may see it. */
  entries(id: string, caller: Principal | undefined): Promise<EntryRow[]> {
    return this.db.query<EntryRow>(
      `SELECT pt.track_id AS "trackId", pt.added_by AS "addedBy", pt.added_at AS "addedAt", ${entrySummaryColumns({ user: '$2', admin: '$3' })}
       FROM playlist_tracks pt
       JOIN tracks t ON t.id = pt.track_id
       LEFT JOIN artists a ON a.id = t.artist_id
       WHERE pt.playlist_id = $1
       ORDER BY pt.position`,
      [id, ...readerValues(caller)],
      'playlist_entries',
    );
  }

  /** Playlists the caller owns or edits, newest first. */
  async listMine(caller: string, now: Date, take: number, after?: Keyset): Promise<PlaylistListRow[]> {
    const rows = await this.db.query<RawPlaylist & { trackCount: number; durationMs: string }>(
      `SELECT ${PLAYLIST_COLUMNS}, ${STATS}
       FROM playlists p
       WHERE (p.owner_id = $1 OR EXISTS (SELECT 1 FROM playlist_editors e WHERE e.playlist_id = p.id AND e.user_id = $1))
         AND ($5::timestamptz IS NULL OR (p.created_at, p.id) < ($5::timestamptz, $6::text))
       ORDER BY p.created_at DESC, p.id DESC
       LIMIT $4`,
      [caller, caller, now, take, after?.at ?? null, after?.id ?? null],
    );
    return rows.map((r) => ({ ...toRow(r, caller), trackCount: r.trackCount, durationMs: r.durationMs }));
  }

  /**
   * A user's playlists the caller might see (public ones, plus those the caller is a member of),
   * newest first; the access helper has the last word.
   */
  async listOwnedBy(
    ownerId: string,
    caller: string | undefined,
    now: Date,
    take: number,
    after?: Keyset,
  ): Promise<PlaylistListRow[]> {
    const rows = await this.db.query<RawPlaylist & { trackCount: number; durationMs: string }>(
      `SELECT ${PLAYLIST_COLUMNS}, ${STATS}
       FROM playlists p
       WHERE p.owner_id = $1
         AND (p.visibility = 'public' OR p.owner_id = $2
              OR EXISTS (SELECT 1 FROM playlist_editors e WHERE e.playlist_id = p.id AND e.user_id = $2)
              OR EXISTS (SELECT 1 FROM playlist_invitations i WHERE i.playlist_id = p.id AND i.invitee_id = $2
                           AND i.status = 'pending' AND i.expires_at > $3))
         AND ($5::timestamptz IS NULL OR (p.created_at, p.id) < ($5::timestamptz, $6::text))
       ORDER BY p.created_at DESC, p.id DESC
       LIMIT $4`,
      [ownerId, caller ?? '', now, take, after?.at ?? null, after?.id ?? null],
    );
    return rows.map((r) => ({
      ...toRow(r, caller ?? ''),
      trackCount: r.trackCount,
      durationMs: r.durationMs,
    }));
  }

  async userExists(id: string): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM users WHERE id = $1', [id])).length > 0;
  }

  // ---- changes under the playlist's lock --------------------------------------------------------

  /**
   * Runs `fn` in a transaction holding the playlist row's lock (`fn` gets the row as it is now,
   * null if it is gone): changes to one playlist take turns, and every statement after the lock
   * sees what the previous holder committed. Throwing in `fn` undoes everything. One lock
   * statement (PLAYLIST_LOCK_SQL, prepared) for every change.
   */
  withLocked<T>(id: string, caller: string, now: Date, fn: Locked<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<RawPlaylist>(PLAYLIST_LOCK_SQL, [id, caller, now], 'playlist_lock');
      return fn(tx, row ? toRow(row, caller) : null);
    });
  }

  /**
   * Under the playlist's lock, in one statement: the playlist's entry count, last key and whether
   * the track is in it, with the track's summary and whether the caller may see it (null when no
   * such track), for the visibility check and the answer.
   */
  async addState(
    tx: Tx,
    id: string,
    trackId: string,
    caller: Principal,
  ): Promise<{ count: number; last: string | null; present: boolean; track: EntrySummaryRow | null }> {
    const [row] = await tx.query<{
      count: number;
      last: string | null;
      present: boolean;
      track: EntrySummaryRow | null;
    }>(
      `SELECT s.count, s.last, s.present,
              (SELECT row_to_json(x) FROM (SELECT ${entrySummaryColumns({ user: '$3', admin: '$4' })}
                 FROM tracks t LEFT JOIN artists a ON a.id = t.artist_id WHERE t.id = $2) x) AS track
       FROM (SELECT count(*)::int AS count, max(position) AS last, COALESCE(bool_or(track_id = $2), false) AS present
             FROM playlist_tracks WHERE playlist_id = $1) s`,
      [id, trackId, ...readerValues(caller)],
      'playlist_add_state',
    );
    return row;
  }

  /** Inserts the entry and bumps the version, in one statement; returns the new version. */
  async appendTrack(
    tx: Tx,
    e: { playlistId: string; trackId: string; position: string; addedBy: string; at: Date },
  ): Promise<number> {
    const rows = await tx
      .query<{ version: number }>(
        `WITH entry AS (
           INSERT INTO playlist_tracks (playlist_id, track_id, position, added_by, added_at) VALUES ($1, $2, $3, $4, $5)
         )
         UPDATE playlists SET version = version + 1, updated_at = $5 WHERE id = $1 RETURNING version`,
        [e.playlistId, e.trackId, e.position, e.addedBy, e.at],
        'playlist_append_track',
      )
      .catch((err: unknown) => {
        // the track was deleted since the visibility check
        if (pgErrorOf(err)?.code === '23503') throw new AppError(TracksErrors.trackNotFound);
        throw err;
      });
    return rows[0].version;
  }

  /** Every change of a playlist bumps its version (the ETag) once. */
  async bump(tx: Tx, id: string, at: Date): Promise<number> {
    const [row] = await tx.query<{ version: number }>(
      `
      UPDATE playlists SET version = version + 1, updated_at = $1 WHERE id = $2 RETURNING version`,
      [at, id],
    );
    return row.version;
  }

  async trackState(
    tx: Tx,
    id: string,
    trackId: string,
  ): Promise<{ count: number; last: string | null; present: boolean }> {
    const [row] = await tx.query<{ count: number; last: string | null; present: boolean }>(
      `
      SELECT count(*)::int AS count, max(position) AS last, COALESCE(bool_or(track_id = $1), false) AS present
      FROM playlist_tracks WHERE playlist_id = $2`,
      [trackId, id],
    );
    return row;
  }

  async deleteTrack(tx: Tx, id: string, trackId: string): Promise<boolean> {
    return (
      (await tx.execute(`DELETE FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2`, [
        id,
        trackId,
      ])) > 0
    );
  }

  async trackIds(tx: Tx, id: string): Promise<string[]> {
    const rows = await tx.query<{ trackId: string }>(
      `
      SELECT track_id AS "trackId" FROM playlist_tracks WHERE playlist_id = $1 ORDER BY position`,
      [id],
    );
    return rows.map((r) => r.trackId);
  }

  /**
   * Gives the tracks fresh, evenly spread keys in the given order. Two statements so that no
   * intermediate state breaks the unique (playlist, position) index: first every row takes a
   * provisional key no real key can equal (real keys have no `_`), then its final one.
   */
  async rewriteOrder(tx: Tx, id: string, trackIds: string[], keys: string[]): Promise<void> {
    await tx.execute(
      `
      UPDATE playlist_tracks SET position = '~_' || track_id WHERE playlist_id = $1`,
      [id],
    );
    await tx.execute(
      `
      UPDATE playlist_tracks pt SET position = o.key
      FROM unnest($1::text[], $2::text[]) AS o(track_id, key)
      WHERE pt.playlist_id = $3 AND pt.track_id = o.track_id`,
      [trackIds, keys, id],
    );
  }

  async updateDetails(
    tx: Tx,
    id: string,
    data: { name?: string; description?: string | null; visibility?: 'public' | 'private' },
  ): Promise<void> {
    // an absent field stays as it is; a description may be set to null
    await tx.execute(
      `UPDATE playlists SET name = COALESCE($2, name),
         description = CASE WHEN $3::boolean THEN $4 ELSE description END,
         visibility = COALESCE($5::playlist_visibility, visibility)
       WHERE id = $1`,
      [
        id,
        data.name ?? null,
        data.description !== undefined,
        data.description ?? null,
        data.visibility ?? null,
      ],
    );
  }

  async delete(tx: Tx, id: string): Promise<void> {
    await tx.execute(`DELETE FROM playlists WHERE id = $1`, [id]);
  }

  // ---- moves: one statement ---------------------------------------------------------------------

  /**
   * What a move needs to compute the track's new key: its current key, the anchor's key (null:
   * to the end) and the key just before the anchor, the moved track left out.
   */
  async moveContext(
    id: string,
    trackId: string,
    beforeId: string | null,
  ): Promise<{ current: string | null; before: string | null; prev: string | null }> {
    const [row] = await this.db.query<{
      current: string | null;
      before: string | null;
      prev: string | null;
    }>(
      `WITH b AS (SELECT position FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $3)
       SELECT (SELECT position FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2) AS current,
              (SELECT position FROM b) AS before,
              (SELECT position FROM playlist_tracks
                WHERE playlist_id = $1 AND track_id <> $2
                  AND ($3::text IS NULL OR position < (SELECT position FROM b))
                ORDER BY position DESC LIMIT 1) AS prev`,
      [id, trackId, beforeId],
      'playlist_move_context',
    );
    return row;
  }

  /**
   * The move itself, one statement rewriting one track row: only if the playlist is still at
   * `version` (nothing moved, arrived or left since the keys were read) and still holds the
   * track. Returns the new version, or null when it did nothing.
   */
  async moveOne(id: string, trackId: string, key: string, version: number, at: Date): Promise<number | null> {
    const [row] = await this.db.query<{ version: number }>(
      `WITH v AS (
         UPDATE playlists SET version = version + 1, updated_at = $5
         WHERE id = $1 AND version = $4
           AND EXISTS (SELECT 1 FROM playlist_tracks WHERE playlist_id = $1 AND track_id = $2)
         RETURNING version
       )
       UPDATE playlist_tracks pt SET position = $3 FROM v
       WHERE pt.playlist_id = $1 AND pt.track_id = $2
       RETURNING v.version`,
      [id, trackId, key, version, at],
      'playlist_move',
    );
    return row?.version ?? null;
  }

  // ---- creation ---------------------------------------------------------------------------------

  /**
   * Creates the playlist unless the owner has `limit` already (one owner's creations take turns
   * on an advisory lock; the insert counts under it). With `copyFrom`, the given tracks of that
   * playlist come along in their order, added by the new owner.
   */
  async create(
    p: NewPlaylist,
    limit: number,
    copyFrom?: { playlistId: string; trackIds: string[] },
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      await tx.execute(`SELECT pg_advisory_xact_lock(hashtextextended($1, 1002))`, [p.ownerId]);
      const created = await tx.execute(
        `
        INSERT INTO playlists (id, owner_id, name, description, visibility, version, created_at, updated_at)
        SELECT $1, $2, $3, $4, $5::playlist_visibility, 1, $6, $6
        WHERE (SELECT count(*) FROM playlists WHERE owner_id = $2) < $7::int`,
        [p.id, p.ownerId, p.name, p.description, p.visibility, p.at, limit],
      );
      if (created === 0) return false;
      if (copyFrom && copyFrom.trackIds.length) {
        await tx.execute(
          `
          INSERT INTO playlist_tracks (playlist_id, track_id, position, added_by, added_at)
          SELECT $1, track_id, position, $2, $3
          FROM playlist_tracks WHERE playlist_id = $4 AND track_id = ANY($5::text[])`,
          [p.id, p.ownerId, p.at, copyFrom.playlistId, copyFrom.trackIds],
        );
      }
      return true;
    });
  }

  // ---- collaboration ----------------------------------------------------------------------------

  /** Everything the invitation rules look at, read under the playlist's lock. */
  async invitationState(
    tx: Tx,
    playlistId: string,
    userId: string,
    now: Date,
  ): Promise<{
    editor: boolean;
    pending: boolean;
    expiredAt: Date | null;
    cooldownUntil: Date | null;
    seats: number;
  }> {
    const [row] = await tx.query<{
      editor: boolean;
      pending: boolean;
      expiredAt: Date | null;
      cooldownUntil: Date | null;
      seats: number;
    }>(
      `
      SELECT
        EXISTS (SELECT 1 FROM playlist_editors WHERE playlist_id = $1 AND user_id = $2) AS editor,
        EXISTS (SELECT 1 FROM playlist_invitations WHERE playlist_id = $1 AND invitee_id = $2
                  AND status = 'pending' AND expires_at > $3) AS pending,
        (SELECT max(expires_at) FROM playlist_invitations WHERE playlist_id = $1 AND invitee_id = $2
                  AND status IN ('pending', 'expired') AND expires_at <= $3) AS "expiredAt",
        (SELECT until FROM playlist_invite_cooldowns WHERE playlist_id = $1 AND user_id = $2) AS "cooldownUntil",
        ((SELECT count(*) FROM playlist_editors WHERE playlist_id = $1)
          + (SELECT count(*) FROM playlist_invitations WHERE playlist_id = $1
               AND status = 'pending' AND expires_at > $3))::int AS seats`,
      [playlistId, userId, now],
    );
    return row;
  }

  /** A pending invitation past its expiry becomes `expired`, so a new one may take its place. */
  async createInvitation(
    tx: Tx,
    inv: { id: string; playlistId: string; inviteeId: string; inviterId: string; at: Date; expiresAt: Date },
  ): Promise<void> {
    await tx.execute(
      `
      UPDATE playlist_invitations SET status = 'expired'
      WHERE playlist_id = $1 AND invitee_id = $2 AND status = 'pending' AND expires_at <= $3`,
      [inv.playlistId, inv.inviteeId, inv.at],
    );
    await tx.execute(
      `
      INSERT INTO playlist_invitations (id, playlist_id, invitee_id, inviter_id, status, created_at, expires_at)
      VALUES ($1, $2, $3, $4, 'pending', $5, $6)`,
      [inv.id, inv.playlistId, inv.inviteeId, inv.inviterId, inv.at, inv.expiresAt],
    );
  }

  async mailParties(
    tx: Tx,
    inviteeId: string,
    inviterId: string,
  ): Promise<{ inviteeEmail: string; inviteeName: string; inviterName: string }> {
    const [row] = await tx.query<{ inviteeEmail: string; inviteeName: string; inviterName: string }>(
      `
      SELECT i.email AS "inviteeEmail", i.display_name AS "inviteeName", o.display_name AS "inviterName"
      FROM users i, users o WHERE i.id = $1 AND o.id = $2`,
      [inviteeId, inviterId],
    );
    return row;
  }

  findInvitation(id: string) {
    return this.prisma.playlistInvitation.findUnique({ where: { id } });
  }

  lockInvitation(tx: Tx, id: string) {
    return tx
      .query<{
        id: string;
        playlistId: string;
        inviteeId: string;
        status: string;
        expiresAt: Date;
        createdAt: Date;
      }>(
        `
      SELECT id, playlist_id AS "playlistId", invitee_id AS "inviteeId", status::text AS status,
             expires_at AS "expiresAt", created_at AS "createdAt"
      FROM playlist_invitations WHERE id = $1 FOR UPDATE`,
        [id],
      )
      .then((r) => r[0] ?? null);
  }

  async setInvitationStatus(tx: Tx, id: string, status: 'accepted' | 'declined', at: Date): Promise<void> {
    await tx.execute(
      `
      UPDATE playlist_invitations SET status = $1::playlist_invitation_status, responded_at = $2 WHERE id = $3`,
      [status, at, id],
    );
  }

  async addEditor(tx: Tx, playlistId: string, userId: string, at: Date): Promise<void> {
    await tx.execute(
      `
      INSERT INTO playlist_editors (playlist_id, user_id, added_at) VALUES ($1, $2, $3)
      ON CONFLICT DO NOTHING`,
      [playlistId, userId, at],
    );
  }

  /** Removes the editor and revokes an open invitation; true when either existed. */
  async removeMember(
    tx: Tx,
    playlistId: string,
    userId: string,
    at: Date,
  ): Promise<{ editor: boolean; invitation: boolean }> {
    const editor = await tx.execute(
      `
      DELETE FROM playlist_editors WHERE playlist_id = $1 AND user_id = $2`,
      [playlistId, userId],
    );
    const invitation = await tx.execute(
      `
      UPDATE playlist_invitations SET status = 'revoked', responded_at = $1
      WHERE playlist_id = $2 AND invitee_id = $3 AND status = 'pending' AND expires_at > $1`,
      [at, playlistId, userId],
    );
    return { editor: editor > 0, invitation: invitation > 0 };
  }

  /**
   * A block between `a` and `b`: the open invitations between them on each other's playlists are
   * revoked and neither stays an editor of the other's playlists. Runs in the block's transaction
   * under the pair's lock; it takes no playlist row lock (an invitation takes the playlist's lock
   * and then the pair's, so taking them the other way round here could deadlock).
   */
  async separate(tx: Tx, a: string, b: string, at: Date): Promise<void> {
    await tx.execute(
      `
      UPDATE playlist_invitations i SET status = 'revoked', responded_at = $1
      FROM playlists p
      WHERE p.id = i.playlist_id AND i.status = 'pending'
        AND ((p.owner_id = $2 AND i.invitee_id = $3) OR (p.owner_id = $3 AND i.invitee_id = $2))`,
      [at, a, b],
    );
    await tx.execute(
      `
      DELETE FROM playlist_editors e USING playlists p
      WHERE p.id = e.playlist_id
        AND ((p.owner_id = $1 AND e.user_id = $2) OR (p.owner_id = $2 AND e.user_id = $1))`,
      [a, b],
    );
  }

  async setCooldown(tx: Tx, playlistId: string, userId: string, until: Date): Promise<void> {
    await tx.execute(
      `
      INSERT INTO playlist_invite_cooldowns (playlist_id, user_id, until) VALUES ($1, $2, $3)
      ON CONFLICT (playlist_id, user_id) DO UPDATE SET until = GREATEST(playlist_invite_cooldowns.until, EXCLUDED.until)`,
      [playlistId, userId, until],
    );
  }

  /** The caller's open invitations, newest first, with the playlist's name and owner. */
  myInvitations(userId: string, now: Date, take: number, after?: Keyset) {
    return this.db.query<{
      id: string;
      playlistId: string;
      playlistName: string;
      ownerId: string;
      inviteeId: string;
      inviterId: string;
      createdAt: Date;
      expiresAt: Date;
    }>(
      `SELECT i.id, i.playlist_id AS "playlistId", p.name AS "playlistName", p.owner_id AS "ownerId",
              i.invitee_id AS "inviteeId", i.inviter_id AS "inviterId", i.created_at AS "createdAt",
              i.expires_at AS "expiresAt"
       FROM playlist_invitations i JOIN playlists p ON p.id = i.playlist_id
       WHERE i.invitee_id = $1 AND i.status = 'pending' AND i.expires_at > $2
         AND ($4::timestamptz IS NULL OR (i.created_at, i.id) < ($4::timestamptz, $5::text))
       ORDER BY i.created_at DESC, i.id DESC
       LIMIT $3`,
      [userId, now, take, after?.at ?? null, after?.id ?? null],
    );
  }
}
