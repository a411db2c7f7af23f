import { Injectable } from '@nestjs/common';
import { generateKeyBetween, generateNKeysBetween } from 'fractional-indexing';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { newId } from '../../platform/ids';
import { byCreation, decodeCursor, type Page, pageLimit, toPage } from '../../platform/pagination/pagination';
import type { PageQueryDto } from '../../platform/pagination/page.dto';
import { AccountsErrors } from '../accounts/accounts.errors';
import { readerSees, visibleSummary } from '../tracks/track-summary';
import { TracksErrors } from '../tracks/tracks.errors';
import type {
  AddedTrackDto,
  CreatePlaylistDto,
  DuplicatePlaylistDto,
  MovedTrackDto,
  PlaylistChangeDto,
  PlaylistDto,
  PlaylistEntryDto,
  PlaylistOrderDto,
  PlaylistSummaryDto,
  UpdatePlaylistDto,
} from './dto/playlist.dto';
import { playlistAccess, roleOf } from './playlist-access';
import { PlaylistErrors } from './playlists.errors';
import {
  type EntryRow,
  type PlaylistListRow,
  type PlaylistRow,
  PlaylistsRepository,
} from './playlists.repository';

/** A key longer than this after a move makes the playlist's keys be spread out again. */
const MAX_KEY_LENGTH = 40;
/** Moves without If-Match retry against the latest order this many times. */
const MOVE_ATTEMPTS = 8;

@Injectable()
export class PlaylistsService {
  constructor(
    private readonly repo: PlaylistsRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  // ---- playlists --------------------------------------------------------------------------------

  async create(principal: Principal, dto: CreatePlaylistDto): Promise<PlaylistDto> {
    const id = newId('pl');
    const at = this.clock.now();
    const created = await this.repo.create(
      {
        id,
        ownerId: principal.userId,
        name: dto.name,
        description: dto.description ?? null,
        visibility: dto.visibility,
        at,
      },
      this.config.limits.playlists,
    );
    if (!created) throw new AppError(PlaylistErrors.playlistLimitReached);
    return this.get(principal, id);
  }

  /**
   * A copy of a playlist the caller may read, owned by the caller: the tracks visible to the
   * caller, in the same order, added by the caller now. Counts toward LIMIT_PLAYLISTS.
   */
  async duplicate(principal: Principal, sourceId: string, dto: DuplicatePlaylistDto): Promise<PlaylistDto> {
    const now = this.clock.now();
    const source = playlistAccess.assert(
      principal,
      'read',
      await this.repo.find(sourceId, principal.userId, now),
    );
    const entries = await this.repo.entries(source.id, principal);
    const id = newId('pl');
    const created = await this.repo.create(
      {
        id,
        ownerId: principal.userId,
        name: dto.name ?? `${source.name} (copy)`.slice(0, 100),
        description: source.description,
        visibility: dto.visibility ?? 'private',
        at: now,
      },
      this.config.limits.playlists,
      {
        playlistId: source.id,
        trackIds: entries.filter(readerSees).map((e) => e.trackId),
      },
    );
    if (!created) throw new AppError(PlaylistErrors.playlistLimitReached);
    return this.get(principal, id);
  }

  async get(principal: Principal | undefined, id: string): Promise<PlaylistDto> {
    // both reads at once; the entries are used only once the access helper lets the caller see the playlist
    const [row, entries] = await Promise.all([
      this.repo.find(id, principal?.userId, this.clock.now()),
      this.repo.entries(id, principal),
    ]);
    const playlist = playlistAccess.assert(principal, 'read', row);
    return this.toDto(playlist, entries, principal);
  }

  async listMine(principal: Principal, query: PageQueryDto): Promise<Page<PlaylistSummaryDto>> {
    const limit = pageLimit(query);
    const rows = await this.repo.listMine(
      principal.userId,
      this.clock.now(),
      limit + 1,
      decodeCursor(query.cursor),
    );
    return this.page(rows, limit, principal);
  }

  async listOwnedBy(
    principal: Principal | undefined,
    userId: string,
    query: PageQueryDto,
  ): Promise<Page<PlaylistSummaryDto>> {
    if (!(await this.repo.userExists(userId))) throw new AppError(AccountsErrors.userNotFound);
    const limit = pageLimit(query);
    const rows = await this.repo.listOwnedBy(
      userId,
      principal?.userId,
      this.clock.now(),
      limit + 1,
      decodeCursor(query.cursor),
    );
    return this.page(rows, limit, principal);
  }

  /** Owner only; `If-Match` optional (stale_version when given and not current). */
  async update(
    principal: Principal,
    id: string,
    dto: UpdatePlaylistDto,
    ifMatch?: number,
  ): Promise<PlaylistDto> {
    const now = this.clock.now();
    await this.repo.withLocked(id, principal.userId, now, async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'editDetails', row);
      assertVersion(playlist, ifMatch);
      await this.repo.updateDetails(tx, id, {
        ...(dto.name !== undefined ? { name: dto.name } : {}),
        ...(dto.description !== undefined ? { description: dto.description } : {}),
        ...(dto.visibility !== undefined ? { visibility: dto.visibility } : {}),
      });
      await this.repo.bump(tx, id, now);
    });
    return this.get(principal, id);
  }

  async delete(principal: Principal, id: string, ifMatch?: number): Promise<void> {
    await this.repo.withLocked(id, principal.userId, this.clock.now(), async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'delete', row);
      assertVersion(playlist, ifMatch);
      await this.repo.delete(tx, id);
    });
  }

  // ---- tracks -----------------------------------------------------------------------------------

  /**
   * Checked in order: playlist_not_found, forbidden (not owner or editor), track_not_found (only
   * tracks the caller may see), stale_version (If-Match given), track_already_in_playlist,
   * playlist_full. Appends at the end. Adds to one playlist take turns on its row, so the limit
   * holds under concurrent adds by several editors.
   */
  async addTrack(
    principal: Principal,
    id: string,
    trackId: string,
    ifMatch?: number,
  ): Promise<AddedTrackDto> {
    const now = this.clock.now();
    // BEGIN, the playlist's lock, one read of its state and the track, the insert, COMMIT
    return this.repo.withLocked(id, principal.userId, now, async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'editTracks', row);
      const state = await this.repo.addState(tx, id, trackId, principal);
      const track = state.track ? visibleSummary(state.track) : null;
      if (!track) throw new AppError(TracksErrors.trackNotFound);
      assertVersion(playlist, ifMatch);
      if (state.present) throw new AppError(PlaylistErrors.trackAlreadyInPlaylist);
      if (state.count >= this.config.limits.playlistTracks) throw new AppError(PlaylistErrors.playlistFull);
      const version = await this.repo.appendTrack(tx, {
        playlistId: id,
        trackId: track.id,
        position: generateKeyBetween(state.last, null),
        addedBy: principal.userId,
        at: now,
      });
      return {
        playlist_id: id,
        version,
        track_count: state.count + 1,
        entry: {
          track_id: track.id,
          added_by: principal.userId,
          added_at: now.toISOString(),
          available: true,
          track,
        },
      };
    });
  }

  /** Owner or editor; track_not_found when the track is not in the playlist. */
  async removeTrack(
    principal: Principal,
    id: string,
    trackId: string,
    ifMatch?: number,
  ): Promise<PlaylistChangeDto> {
    const now = this.clock.now();
    return this.repo.withLocked(id, principal.userId, now, async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'editTracks', row);
      assertVersion(playlist, ifMatch);
      if (!(await this.repo.deleteTrack(tx, id, trackId)))
        throw new AppError(TracksErrors.trackNotFound, { message: 'Track is not in this playlist.' });
      const version = await this.repo.bump(tx, id, now);
      const state = await this.repo.trackState(tx, id, trackId);
      return { playlist_id: id, version, track_count: state.count };
    });
  }

  /**
   * Replaces the order. Checked in order: playlist_not_found, forbidden, stale_version (If-Match
   * given and not current), track_set_mismatch (not exactly the playlist's tracks, each once).
   * The tracks get fresh, evenly spread keys.
   */
  async reorder(
    principal: Principal,
    id: string,
    trackIds: string[],
    ifMatch?: number,
  ): Promise<PlaylistOrderDto> {
    const now = this.clock.now();
    return this.repo.withLocked(id, principal.userId, now, async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'editTracks', row);
      assertVersion(playlist, ifMatch);
      const current = await this.repo.trackIds(tx, id);
      if (!samePermutation(current, trackIds)) throw new AppError(PlaylistErrors.trackSetMismatch);
      if (trackIds.length)
        await this.repo.rewriteOrder(tx, id, trackIds, generateNKeysBetween(null, null, trackIds.length));
      const version = await this.repo.bump(tx, id, now);
      return { playlist_id: id, version, track_ids: trackIds };
    });
  }

  /**
   * Moves one track just before another (or to the end) by giving it a key between its new
   * neighbours: one statement that rewrites one row, applied only if the playlist is still at the
   * version the keys were read at. With If-Match, a playlist that moved on is stale_version;
   * without it, the move is retried against the latest order.
   */
  async move(
    principal: Principal,
    id: string,
    trackId: string,
    beforeId: string | null,
    ifMatch?: number,
  ): Promise<MovedTrackDto> {
    if (beforeId === trackId) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { before_track_id: ['before_track_id must differ from track_id'] },
      });
    }
    for (let attempt = 0; attempt < MOVE_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const playlist = playlistAccess.assert(
        principal,
        'editTracks',
        await this.repo.find(id, principal.userId, now),
      );
      assertVersion(playlist, ifMatch);
      const ctx = await this.repo.moveContext(id, trackId, beforeId);
      if (ctx.current === null || (beforeId !== null && ctx.before === null))
        throw new AppError(PlaylistErrors.trackSetMismatch);
      const key = generateKeyBetween(ctx.prev, ctx.before);
      const version =
        key.length > MAX_KEY_LENGTH
          ? await this.moveBySpreading(principal, id, trackId, beforeId, playlist.version)
          : await this.repo.moveOne(id, trackId, key, playlist.version, now);
      if (version !== null) return { playlist_id: id, version, track_id: trackId, before_track_id: beforeId };
      if (ifMatch !== undefined) throw new AppError(GeneralErrors.staleVersion);
    }
    throw new AppError(GeneralErrors.staleVersion);
  }

  /** The rare move whose key would grow too long: the whole order gets fresh keys instead. */
  private moveBySpreading(
    principal: Principal,
    id: string,
    trackId: string,
    beforeId: string | null,
    version: number,
  ): Promise<number | null> {
    const now = this.clock.now();
    return this.repo.withLocked(id, principal.userId, now, async (tx, row) => {
      const playlist = playlistAccess.assert(principal, 'editTracks', row);
      if (playlist.version !== version) return null;
      const order = (await this.repo.trackIds(tx, id)).filter((t) => t !== trackId);
      const at = beforeId === null ? order.length : order.indexOf(beforeId);
      if (at < 0) return null;
      order.splice(at, 0, trackId);
      await this.repo.rewriteOrder(tx, id, order, generateNKeysBetween(null, null, order.length));
      return this.repo.bump(tx, id, now);
    });
  }

  // ---- mapping ----------------------------------------------------------------------------------

  private toDto(p: PlaylistRow, entries: EntryRow[], principal: Principal | undefined): PlaylistDto {
    return {
      ...this.summary(
        p,
        entries.length,
        entries.reduce((sum, e) => sum + (e.duration_ms ?? 0), 0),
        principal,
      ),
      editors: p.editors.map((e) => ({ user_id: e.user_id, added_at: new Date(e.added_at).toISOString() })),
      tracks: entries.map(toEntry),
    };
  }

  private summary(
    p: PlaylistRow,
    trackCount: number,
    durationMs: number,
    principal: Principal | undefined,
  ): PlaylistSummaryDto {
    return {
      id: p.id,
      owner_id: p.ownerId,
      name: p.name,
      description: p.description,
      visibility: p.visibility,
      version: p.version,
      track_count: trackCount,
      duration_ms: durationMs,
      role: roleOf(p, principal),
      created_at: new Date(p.createdAt).toISOString(),
      updated_at: new Date(p.updatedAt).toISOString(),
    };
  }

  private page(
    rows: PlaylistListRow[],
    limit: number,
    principal: Principal | undefined,
  ): Page<PlaylistSummaryDto> {
    // the query narrows; the access helper decides what a list shows
    const visible = new Set(playlistAccess.filter(principal, 'read', rows));
    const page = toPage(
      rows,
      limit,
      (r) => byCreation({ createdAt: new Date(r.createdAt), id: r.id }),
      (r) => r,
    );
    return {
      data: page.data
        .filter((r) => visible.has(r))
        .map((r) => this.summary(r, r.trackCount, Number(r.durationMs), principal)),
      next_cursor: page.next_cursor,
    };
  }
}

function toEntry(e: EntryRow): PlaylistEntryDto {
  const track = visibleSummary(e);
  return {
    track_id: e.trackId,
    added_by: e.addedBy,
    added_at: new Date(e.addedAt).toISOString(),
    available: track !== null,
    track,
  };
}

function assertVersion(p: { version: number }, ifMatch: number | undefined): void {
  if (ifMatch !== undefined && ifMatch !== p.version) throw new AppError(GeneralErrors.staleVersion);
}

/** Whether `proposed` holds exactly the tracks of `current`, each once. */
export function samePermutation(current: readonly string[], proposed: readonly string[]): boolean {
  if (current.length !== proposed.length) return false;
  const set = new Set(proposed);
  if (set.size !== proposed.length) return false;
  return current.every((t) => set.has(t));
}
