import { Injectable } from '@nestjs/common';
import type { Multipart } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { addSeconds, Clock } from '../../platform/clock/clock';
import { AppSecret } from '../../platform/crypto/app-secret';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { newId } from '../../platform/ids';
import { Database, type Tx } from '../../platform/database/database';
import { JobsService } from '../../platform/jobs/jobs.service';
import { StorageKeeper } from '../../platform/storage/storage-keeper';
import { StorageService, TooLargeError, type ReceivedFile } from '../../platform/storage/storage.service';
import { LiveStreams } from '../radio/live-streams';
import { RadioErrors } from '../radio/radio.errors';
import { trackAccess } from '../tracks/track-access';
import { signMediaLink, verifyMediaLink } from './delivery/media-link';
import { sendMedia } from './delivery/media-response';
import type { PeaksDto, PlayDto, ReportPlayDto, StreamLinkDto, VoiceTagStateDto } from './dto/listening.dto';
import { hearable, renditionFor } from './listening-access';
import { ListeningErrors } from './listening.errors';
import { ListeningRepository, type RenditionRef, type StoredPeaks } from './listening.repository';
import { resamplePeaks } from './media/peaks';
import { probeVoiceTag } from './media/voice-tag';
import { playerPage } from './player-page';
import { RENDER_TAGGED_JOB, taggedJobKey } from './renditions';

/** What publicRendition answers: a track as a listener with no rights hears it. */
export interface PublicRendition {
  trackId: string;
  title: string;
  durationMs: number | null;
  stream: StreamLinkDto;
  peaks: PeaksDto | null;
  /** the rendition's object (what a download of the heard version serves) */
  file: RenditionRef;
}

const peaksAt = (stored: StoredPeaks, pixels: number): PeaksDto =>
  resamplePeaks(
    {
      version: 2,
      channels: 1,
      sample_rate: stored.sampleRate,
      samples_per_pixel: stored.samplesPerPixel,
      bits: 8,
      length: stored.data.length / 2,
      data: stored.data,
    },
    pixels,
  );

/** the device of a signed-in caller who names none */
const DEFAULT_DEVICE = 'default';
/** a voice tag file is refused beyond this many bytes before it is decoded (10 s of 192 kHz 32-bit stereo) */
const VOICE_TAG_BYTES = 16 * 1024 * 1024;
const DEFAULT_PIXELS = 1000;

/**
 * Listening: stream links and the media they point to (with byte ranges), waveform peaks, plays
 * that count, voice tags. Who hears which rendition is listening-access.ts; the renditions, peaks
 * and loudness are made by renditions.ts.
 */
@Injectable()
export class ListeningService {
  constructor(
    private readonly repo: ListeningRepository,
    private readonly db: Database,
    private readonly live: LiveStreams,
    private readonly storage: StorageService,
    private readonly keeper: StorageKeeper,
    private readonly jobs: JobsService,
    private readonly secret: AppSecret,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * A signed media URL of the rendition the caller may hear, valid LIMIT_STREAM_LINK_SECONDS. A
   * signed-in caller's device is kept live (one live stream per user): another live device →
   * concurrent_stream_limit. Checks, in order: the track is visible and not blocked
   * (track_not_found), a rendition exists for the caller (stream_not_ready), the device.
   */
  async stream(
    principal: Principal | undefined,
    trackId: string,
    deviceId?: string,
  ): Promise<StreamLinkDto & { path: string }> {
    const facts = await this.repo.streamFacts(trackId, principal?.userId);
    const rendition = renditionFor(principal, facts);
    const now = this.clock.now();
    if (principal && !(await this.live.claim(this.db, principal.userId, deviceId ?? DEFAULT_DEVICE, now))) {
      throw new AppError(RadioErrors.concurrentStreamLimit);
    }
    return this.sign(trackId, rendition, principal?.userId ?? null, now);
  }

  /**
   * What a listener with no rights to a track hears (no account, no license): the tagged
   * rendition when its producer has a voice tag, else the clean one — its signed anonymous stream
   * link and its peaks at `pixels`. Null when nobody can hear it now (not public, no rendition
   * yet, a re-render under way). For pack links, which share tracks with whoever holds the link.
   */
  async publicRendition(trackId: string, pixels = DEFAULT_PIXELS): Promise<PublicRendition | null> {
    const facts = await this.repo.streamFacts(trackId, undefined);
    let rendition: RenditionRef;
    try {
      rendition = renditionFor(undefined, facts);
    } catch (err) {
      if (err instanceof AppError) return null;
      throw err;
    }
    const stored = await this.repo.peaks(trackId);
    const { path: _path, ...stream } = this.sign(trackId, rendition, null, this.clock.now());
    return {
      trackId,
      title: facts!.title,
      durationMs: facts!.durationMs,
      stream,
      peaks: stored ? peaksAt(stored, pixels) : null,
      file: rendition,
    };
  }

  private sign(
    trackId: string,
    rendition: RenditionRef,
    caller: string | null,
    now: Date,
  ): StreamLinkDto & { path: string } {
    const expires = addSeconds(now, this.config.limits.streamLinkSeconds);
    const token = signMediaLink(this.secret.value, {
      track: trackId,
      rendition: rendition.sha256,
      caller,
      exp: Math.floor(expires.getTime() / 1000),
    });
    return {
      path: `/api/v1/media?token=${token}`,
      url: `${this.config.appUrl}/api/v1/media?token=${token}`,
      expires_at: expires.toISOString(),
      rendition: rendition.voiceTag ? 'tagged' : 'clean',
    };
  }

  /**
   * The media a signed link names: the link's signature and expiry, then the rendition is still
   * the track's and the caller's account still active (a suspension ends it at the next request);
   * then the bytes, with ranges.
   */
  async media(request: FastifyRequest, reply: FastifyReply, token: string): Promise<FastifyReply> {
    const nowSeconds = Math.floor(this.clock.now().getTime() / 1000);
    const verdict = verifyMediaLink(this.secret.value, token, nowSeconds);
    if (!verdict.ok) throw new AppError(ListeningErrors.streamLinkExpired);
    const { claims } = verdict;
    const [rendition, active] = await Promise.all([
      this.repo.rendition(claims.track, claims.rendition),
      claims.caller ? this.repo.callerActive(claims.caller) : Promise.resolve(true),
    ]);
    if (!rendition || !active) throw new AppError(ListeningErrors.streamLinkExpired);
    return sendMedia(request, reply, rendition, this.storage, {
      maxAgeSeconds: claims.exp - nowSeconds,
      rangeNotSatisfiable: ListeningErrors.rangeNotSatisfiable,
    });
  }

  /** The waveform at `pixels` points, and the ETag of that answer. */
  async peaks(
    principal: Principal | undefined,
    trackId: string,
    pixels = DEFAULT_PIXELS,
  ): Promise<{ body: PeaksDto; etag: string; public: boolean }> {
    const track = hearable(principal, await this.repo.streamFacts(trackId, principal?.userId));
    const stored = await this.repo.peaks(trackId);
    if (!stored) throw new AppError(ListeningErrors.peaksNotFound);
    const body = peaksAt(stored, pixels);
    const etag = `"${createHash('sha256')
      .update(`${trackId}:${stored.createdAt.toISOString()}:${pixels}`)
      .digest('base64url')
      .slice(0, 27)}"`;
    return { body, etag, public: trackAccess.can(undefined, 'see', track) };
  }

  /**
   * A play report. Checks, in order: the track is visible and not blocked (track_not_found), it
   * is playable (stream_not_ready), the device (concurrent_stream_limit). Every report is kept in
   * the listening history; it counts when it heard ≥ 30 s (or the whole track), the listener is
   * neither the owner nor a collaborator, and the listener's last counted play of the track is
   * more than 10 minutes old (one statement decides, under concurrency too).
   */
  async play(principal: Principal, trackId: string, dto: ReportPlayDto): Promise<PlayDto> {
    const facts = await this.repo.streamFacts(trackId, principal.userId);
    const track = hearable(principal, facts);
    if (track.source !== 'upload' || track.processingStatus !== 'ready' || !track.clean) {
      throw new AppError(ListeningErrors.streamNotReady);
    }
    const now = this.clock.now();
    if (!(await this.live.claim(this.db, principal.userId, dto.device_id, now))) {
      throw new AppError(RadioErrors.concurrentStreamLimit);
    }
    const result = await this.repo.recordPlay({
      id: newId('lsn'),
      userId: principal.userId,
      trackId,
      source: dto.source,
      playedSeconds: dto.played_seconds,
      at: now,
    });
    return { counted: result.counted, play_count: result.plays };
  }

  /** The track page: what GET /tracks/:id shows anyone who may see it. */
  async playerPage(principal: Principal | undefined, trackId: string): Promise<string> {
    const track = hearable(principal, await this.repo.streamFacts(trackId, principal?.userId));
    return playerPage(track);
  }

  // ---- voice tags -----------------------------------------------------------------------------

  async voiceTag(principal: Principal): Promise<VoiceTagStateDto> {
    const tag = await this.repo.voiceTag(principal.userId);
    return {
      voice_tag: tag ? { duration_ms: tag.durationMs, updated_at: tag.updatedAt.toISOString() } : null,
    };
  }

  /**
   * Sets the caller's voice tag from the multipart field `audio`: a WAV, FLAC or AIFF of at most
   * LIMIT_VOICE_TAG_SECONDS that decodes and is not silent (else voice_tag_invalid). Stored like
   * an upload (staged, then referenced); the tagged renditions of the caller's tracks are re-made
   * in the background, one idempotent job per track, queued in the same transaction.
   */
  async setVoiceTag(
    principal: Principal,
    parts: AsyncIterableIterator<Multipart>,
  ): Promise<VoiceTagStateDto> {
    let received: ReceivedFile | undefined;
    try {
      try {
        for await (const part of parts) {
          if (part.type !== 'file') continue;
          if (part.fieldname !== 'audio' || received) {
            part.file.resume();
            throw new AppError(GeneralErrors.validationFailed, {
              errors: { [part.fieldname]: ['exactly one file is expected, in the field "audio"'] },
            });
          }
          received = await this.storage.receive(part.file, VOICE_TAG_BYTES);
        }
      } catch (err) {
        if (err instanceof TooLargeError || (err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
          throw new AppError(ListeningErrors.voiceTagInvalid);
        throw err;
      }
      if (!received) {
        throw new AppError(GeneralErrors.validationFailed, {
          errors: { audio: ['an audio file is required'] },
        });
      }
      const probe = await probeVoiceTag(received.tempPath, this.config.limits.voiceTagSeconds);
      if (!probe.ok)
        throw new AppError(ListeningErrors.voiceTagInvalid, { context: { reason: probe.reason } });
      const staged = await this.keeper.stage(received);
      const at = this.clock.now();
      try {
        await this.repo.transaction(async (tx) => {
          await this.keeper.commit(tx, staged);
          await this.repo.setVoiceTag(tx, principal.userId, staged.sha256, probe.durationMs, at);
          await this.rerenderAll(tx, principal.userId, staged.sha256);
        });
      } catch (err) {
        await this.keeper.abandon(staged);
        throw err;
      }
      return { voice_tag: { duration_ms: probe.durationMs, updated_at: at.toISOString() } };
    } finally {
      if (received) await this.storage.discard(received.tempPath);
    }
  }

  /** Removes the caller's voice tag (idempotent); the tagged renditions go in the background. */
  async deleteVoiceTag(principal: Principal): Promise<void> {
    await this.repo.transaction(async (tx) => {
      if (await this.repo.deleteVoiceTag(tx, principal.userId))
        await this.rerenderAll(tx, principal.userId, null);
    });
  }

  /** One job per rendered track of the producer, keyed by the tag it will render (or `none`). */
  private async rerenderAll(tx: Tx, ownerId: string, tag: string | null): Promise<void> {
    for (const trackId of await this.repo.renderedTracksOf(ownerId, tx)) {
      await this.jobs.enqueue(
        RENDER_TAGGED_JOB,
        { trackId },
        { tx, singletonKey: taggedJobKey(trackId, tag) },
      );
    }
  }
}
