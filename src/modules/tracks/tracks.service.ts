import { Injectable } from '@nestjs/common';
import type { MultipartFile, Multipart } from '@fastify/multipart';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import type { Tx } from '../../platform/database/database';
import { Clock } from '../../platform/clock/clock';
import { AppError, isAppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { validateDto } from '../../platform/http/validation.pipe';
import type { IdempotencyCheckpoint } from '../../platform/idempotency/idempotency.interceptor';
import { decodeCursor, Page, pageLimit, toPage, byCreation } from '../../platform/pagination/pagination';
import { StorageKeeper, type StagedObject } from '../../platform/storage/storage-keeper';
import { StorageService, TooLargeError, type ReceivedFile } from '../../platform/storage/storage.service';
import { AccountsErrors } from '../accounts/accounts.errors';
import { ArtistsErrors } from '../artists/artists.errors';
import { ArtistsService } from '../artists/artists.service';
import { AudioToolkit } from '../audio/audio-toolkit';
import { FingerprintService } from '../audio/fingerprint.service';
import {
  CollaboratorDto,
  CreateExternalTrackDto,
  ListTracksQueryDto,
  ReconDto,
  SetCollaboratorsDto,
  TrackDto,
  UpdateTrackDto,
  UploadTrackFieldsDto,
} from './dto/track.dto';
import { trackAccess } from './track-access';
import { TracksErrors } from './tracks.errors';
import { TrackRow, TracksRepository, type TrackView } from './tracks.repository';

const MIN_DURATION_MS = 1000;
/** the loudness players normalise to (Spotify, YouTube): replay_gain_db = this − loudness_lufs */
const REFERENCE_LUFS = -14;
const round2 = (x: number): number => Math.round(x * 100) / 100;

export function toTrackDto(t: TrackView, withCredits = true): TrackDto {
  return {
    id: t.id,
    owner_id: t.ownerId,
    artist: t.artist,
    title: t.title,
    bpm: t.bpm,
    genre: t.genre,
    key: t.musicalKey,
    mood: t.mood,
    tags: t.tags,
    source: t.source,
    external_url: t.externalUrl,
    audio:
      t.source === 'upload' && t.format && t.durationMs !== null
        ? {
            format: t.format,
            duration_ms: t.durationMs,
            sample_rate: t.sampleRate,
            channels: t.channels,
            size_bytes: Number(t.audioFile?.sizeBytes ?? 0),
          }
        : null,
    processing_status: t.processingStatus,
    processing_error: t.processingError as TrackDto['processing_error'],
    loudness_lufs: t.loudnessLufs === null ? null : round2(t.loudnessLufs),
    true_peak_dbtp: t.truePeakDbtp === null ? null : round2(t.truePeakDbtp),
    replay_gain_db: t.loudnessLufs === null ? null : round2(REFERENCE_LUFS - t.loudnessLufs),
    ...(withCredits ? { collaborators: t.collaborators.map(toCollaboratorDto) } : {}),
    repost_count: t._count.reposts,
    version: t.version,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

const toCollaboratorDto = (c: TrackView['collaborators'][number]): CollaboratorDto => ({
  user_id: c.userId,
  role: c.role,
  split_percent: Number(c.splitPercent),
});

/** Multipart failures that are the client's: the size limit, or a body that is not well-formed. */
function uploadError(err: unknown): unknown {
  if (isAppError(err)) return err;
  const code = (err as { code?: string }).code;
  if (err instanceof TooLargeError || code === 'FST_REQ_FILE_TOO_LARGE')
    return new AppError(TracksErrors.fileTooLarge);
  if (typeof code === 'string' && code.startsWith('FST_')) {
    return new AppError(GeneralErrors.badRequest, { message: 'Malformed multipart body.' });
  }
  if (err instanceof Error && /multipart|boundary|Unexpected end of form/i.test(err.message)) {
    return new AppError(GeneralErrors.badRequest, { message: 'Malformed multipart body.' });
  }
  return err;
}

@Injectable()
export class TracksService {
  constructor(
    private readonly repo: TracksRepository,
    private readonly storage: StorageService,
    private readonly keeper: StorageKeeper,
    private readonly audio: AudioToolkit,
    private readonly fingerprints: FingerprintService,
    private readonly artists: ArtistsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  // ---- creation ---------------------------------------------------------------------------------

  /**
   * A multipart upload. The file is streamed to storage as it arrives (never held in memory) and
   * refused past LIMIT_UPLOAD_BYTES while streaming. Then, in order: the text fields
   * (missing_track_metadata, validation_failed), the format decided from the bytes
   * (unsupported_audio_format), the header (corrupt_audio_file), the duration (track_too_short).
   * On any failure the received bytes are removed; on success the file, its rows and the
   * processing job appear together. The bytes are spooled locally while hashed (the key is their
   * digest, and the checks above read them), then written to the store — S3 as a multipart
   * upload — only once they passed, outside any transaction (StorageKeeper).
   */
  /**
   * `checkpoint` claims the request's Idempotency-Key once the parts are read (the file's digest
   * is part of the fingerprint), before anything is checked or written.
   */
  async upload(
    principal: Principal,
    parts: AsyncIterableIterator<Multipart>,
    checkpoint: IdempotencyCheckpoint = () => Promise.resolve(),
  ): Promise<TrackDto> {
    const fields: Record<string, unknown> = {};
    let received: ReceivedFile | undefined;
    let count = 0;
    let filename = '';
    try {
      try {
        for await (const part of parts) {
          count++;
          if (part.type === 'file') {
            received = await this.receiveFile(part, received);
            filename = part.filename;
          } else {
            // every field is kept: unknown ones fail validation like unknown JSON members
            const previous = fields[part.fieldname];
            fields[part.fieldname] =
              previous === undefined ? part.value : ([] as unknown[]).concat(previous, part.value);
          }
        }
      } catch (err) {
        throw uploadError(err);
      }
      // not one part found under the declared boundary: the body is not multipart at all
      if (count === 0) throw new AppError(GeneralErrors.badRequest, { message: 'Malformed multipart body.' });
      if (!received) {
        throw new AppError(GeneralErrors.validationFailed, {
          errors: { audio: ['an audio file is required'] },
        });
      }
      await checkpoint({ fields, files: [{ field: 'audio', filename, sha256: received.sha256 }] });
      const meta = await validateDto(UploadTrackFieldsDto, fields);
      const probe = await this.audio.probe(received.tempPath);
      if (!probe.ok) {
        throw new AppError(
          probe.kind === 'unsupported' ? TracksErrors.unsupportedAudioFormat : TracksErrors.corruptAudioFile,
        );
      }
      if (probe.durationMs < MIN_DURATION_MS) throw new AppError(TracksErrors.trackTooShort);
      const artist = await this.artists.findByUser(principal.userId);
      const staged: StagedObject = await this.keeper.stage(received);
      try {
        const track = await this.repo.createUpload(
          principal.userId,
          artist?.id ?? null,
          meta,
          {
            staged,
            size: received.size,
            format: probe.format,
            durationMs: probe.durationMs,
            sampleRate: probe.sampleRate,
            channels: probe.channels,
          },
          this.clock.now(),
        );
        return toTrackDto(track);
      } catch (err) {
        await this.keeper.abandon(staged);
        throw err;
      }
    } finally {
      if (received) await this.storage.discard(received.tempPath); // no-op once written to the store
    }
  }

  private async receiveFile(part: MultipartFile, already: ReceivedFile | undefined): Promise<ReceivedFile> {
    if (part.fieldname !== 'audio' || already) {
      part.file.resume();
      throw new AppError(GeneralErrors.validationFailed, {
        errors: { [part.fieldname]: ['exactly one file is expected, in the field "audio"'] },
      });
    }
    return this.storage.receive(part.file, this.config.limits.uploadBytes);
  }

  async createExternal(principal: Principal, body: unknown): Promise<TrackDto> {
    const dto = await validateDto(CreateExternalTrackDto, body);
    const artist = await this.artists.findByUser(principal.userId);
    return toTrackDto(
      await this.repo.createExternal(
        principal.userId,
        artist?.id ?? null,
        dto,
        dto.external_url,
        this.clock.now(),
      ),
    );
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** The track whatever its visibility (for holders of its licenses); `tx` inside a caller's transaction. */
  find(id: string, tx?: Tx): Promise<TrackRow | null> {
    return this.repo.findById(id, tx);
  }

  /** The track, if the caller may see it; track_not_found otherwise. */
  async visibleTrack(id: string, principal: Principal | undefined): Promise<TrackRow> {
    return trackAccess.assert(principal, 'see', await this.repo.findById(id));
  }

  async get(id: string, principal: Principal | undefined): Promise<TrackDto> {
    return toTrackDto(trackAccess.assert(principal, 'see', await this.repo.view(id)));
  }

  async list(query: ListTracksQueryDto): Promise<Page<TrackDto>> {
    const limit = pageLimit(query);
    let artistId: string | undefined;
    if (query.artist) {
      const artist = await this.artists.findByIdOrSlug(query.artist);
      if (!artist) throw new AppError(ArtistsErrors.artistNotFound);
      artistId = artist.id;
    }
    const after = decodeCursor(query.cursor);
    // the catalogue is the public view: the statement reads only what anyone, signed in or not,
    // may see (track-visibility.ts)
    const rows = await this.repo.viewPage({ artistId, genre: query.genre, q: query.q, after }, limit + 1);
    return toPage(rows, limit, byCreation, (t) => toTrackDto(t, false));
  }

  // ---- changes ----------------------------------------------------------------------------------

  async update(principal: Principal, id: string, dto: UpdateTrackDto, ifMatch?: number): Promise<TrackDto> {
    trackAccess.assert(principal, 'edit', await this.repo.findById(id));
    if (!(await this.repo.update(id, dto, ifMatch, this.clock.now())))
      throw new AppError(GeneralErrors.staleVersion);
    return toTrackDto((await this.repo.findById(id))!);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    trackAccess.assert(principal, 'delete', await this.repo.findById(id));
    await this.repo.delete(id, this.clock.now());
  }

  /**
   * Replaces the credits. The owner is always credited (added with 0 % when left out); the
   * splits must add up to 100 (±0.01); every credited user must exist.
   */
  async setCollaborators(
    principal: Principal,
    id: string,
    dto: SetCollaboratorsDto,
    ifMatch?: number,
  ): Promise<CollaboratorDto[]> {
    const track = trackAccess.assert(principal, 'credit', await this.repo.findById(id));
    const list = dto.collaborators.map((c) => ({
      userId: c.user_id,
      role: c.user_id === track.ownerId ? 'owner' : c.role,
      splitPercent: c.split_percent,
    }));
    if (!list.some((c) => c.userId === track.ownerId))
      list.unshift({ userId: track.ownerId, role: 'owner', splitPercent: 0 });
    if (list.length > this.config.limits.trackCollaborators) {
      throw new AppError(GeneralErrors.validationFailed, {
        errors: {
          collaborators: [
            `at most ${this.config.limits.trackCollaborators} people per track (LIMIT_TRACK_COLLABORATORS), the owner included`,
          ],
        },
      });
    }
    // in hundredths of a percent, so 33.33 + 66.66 is exactly 9999 (within the 0.01 tolerance)
    const total = list.reduce((sum, c) => sum + Math.round(c.splitPercent * 100), 0);
    if (Math.abs(total - 10_000) > 1) {
      throw new AppError(TracksErrors.splitPercentagesInvalid, { context: { total: total / 100 } });
    }
    const known = await this.repo.existingUsers(list.map((c) => c.userId));
    if (list.some((c) => !known.has(c.userId))) throw new AppError(AccountsErrors.userNotFound);
    if ((await this.repo.setCollaborators(id, list, ifMatch, this.clock.now())) === 'stale') {
      throw new AppError(GeneralErrors.staleVersion);
    }
    return (await this.repo.findById(id))!.collaborators.map(toCollaboratorDto);
  }

  // ---- Audio Recon ------------------------------------------------------------------------------

  /**
   * Other tracks whose audio matches this one at ≥ LIMIT_RECON_SIMILARITY. Checked in order:
   * track_not_found, not_credited_producer (credited producers and admins only); a track whose
   * primary artist is not verified gets no matches.
   */
  async recon(principal: Principal, id: string): Promise<ReconDto> {
    const track = trackAccess.assert(principal, 'recon', await this.repo.findById(id));
    if (!track.artist?.verified) return { artist_verified: false, matches: [] };
    const fingerprint = await this.fingerprints.fingerprintOf(track.id);
    if (!fingerprint) return { artist_verified: true, matches: [] };
    const matches = await this.fingerprints.matches(fingerprint, this.config.limits.reconSimilarity, {
      exclude: [track.id],
    });
    const rows = new Map((await this.repo.findByIds(matches.map((m) => m.trackId))).map((t) => [t.id, t]));
    return {
      artist_verified: true,
      matches: matches
        .filter((m) => rows.has(m.trackId))
        .map((m) => {
          const t = rows.get(m.trackId)!;
          return {
            track_id: t.id,
            similarity: m.similarity,
            title: t.title,
            owner_id: t.ownerId,
            artist: t.artist,
          };
        }),
    };
  }
}
