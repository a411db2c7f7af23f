import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import type { Principal } from '../../platform/access/principal';
import { Clock } from '../../platform/clock/clock';
import { AppSecret } from '../../platform/crypto/app-secret';
import { hmac } from '../../platform/crypto/secrets';
import { AppError } from '../../platform/errors/app-error';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { RollingBudget } from '../../platform/rate-limit/rolling-budget';
import { StorageService } from '../../platform/storage/storage.service';
import type { DownloadMeta } from '../../platform/storage/storage.service';
import { ListeningErrors } from '../listening/listening.errors';
import { ListeningService } from '../listening/listening.service';
import { QUALIFYING_SECONDS } from '../radio/play-counts';
import { TracksErrors } from '../tracks/tracks.errors';
import { accessCodeMatches } from './access-code';
import type { PackPlayResultDto, PublicPackDto } from './dto/pack.dto';
import { PackAnalytics } from './pack-analytics';
import { PackErrors } from './packs.errors';
import { PacksRepository, type OpenedLinkRow } from './packs.repository';
import { packPage } from './pack-page';

const SLUG = /^[A-Za-z0-9_-]{16,64}$/;
const ATTEMPT_WINDOW_SECONDS = 15 * 60;
const DEFAULT_PIXELS = 400;
const ORIGINAL_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  aiff: 'audio/aiff',
  aifc: 'audio/aiff',
  flac: 'audio/flac',
};

/** Who opens a link: the signed-in caller if any (the owner's visits are not counted) and the IP. */
export interface Visitor {
  principal: Principal | undefined;
  ip: string;
  accessCode: string | undefined;
}

/** What a download through a link serves. */
export interface PackDownload {
  sha256: string;
  size: number;
  meta: DownloadMeta;
  /** a short-lived storage URL (S3 with redirects), else null: the app streams it */
  redirect: string | null;
}

/**
 * The public side of pack links — no account needed. Every route opens the link first, in this
 * order: pack_link_not_found (unknown or revoked) → pack_link_expired → access_code_required →
 * access_code_invalid, or too_many_requests once a link and IP spent LIMIT_ACCESS_CODE_ATTEMPTS
 * wrong codes in 15 minutes (rows of rate_events under an advisory lock: one budget for every
 * instance; while it is spent a right code is refused too, or the budget would not bound
 * guessing). Then the route's own rules. A track sold exclusively has left every link.
 */
@Injectable()
export class PackLinksService {
  constructor(
    private readonly repo: PacksRepository,
    private readonly listening: ListeningService,
    private readonly analytics: PackAnalytics,
    private readonly storage: StorageService,
    private readonly secret: AppSecret,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** The pack page's data: its name and its playable tracks with anonymous stream links and peaks. */
  async view(slug: string, visitor: Visitor, pixels = DEFAULT_PIXELS): Promise<PublicPackDto> {
    const link = await this.open(slug, visitor);
    const tracks = [];
    for (const id of await this.repo.shownTracks(link.packId)) {
      const heard = await this.listening.publicRendition(id, pixels);
      if (heard)
        tracks.push({
          id,
          title: heard.title,
          duration_ms: heard.durationMs,
          stream: heard.stream,
          peaks: heard.peaks,
        });
    }
    await this.count(link, null, 'view', visitor);
    return {
      name: link.packName,
      description: link.packDescription,
      label: link.label,
      downloads: link.downloads,
      downloads_left:
        link.downloads === 'none'
          ? 0
          : link.maxDownloads === null
            ? null
            : Math.max(0, link.maxDownloads - link.downloadsUsed),
      expires_at: link.expiresAt?.toISOString() ?? null,
      tracks,
    };
  }

  /**
   * A play through the link, for its analytics: qualified at ≥ 30 s heard (or the whole track),
   * the listening module's rule. Checked: the link (see above), the track is in it (track_not_found).
   */
  async play(
    slug: string,
    trackId: string,
    playedSeconds: number,
    visitor: Visitor,
  ): Promise<PackPlayResultDto> {
    const link = await this.open(slug, visitor);
    const track = await this.repo.shownTrack(link.packId, trackId);
    if (!track) throw new AppError(TracksErrors.trackNotFound);
    // the listening module's rule (radio/play-counts.ts), on whole seconds like its SQL
    const durationSeconds = Math.floor((track.durationMs ?? 0) / 1000);
    const qualified = playedSeconds >= Math.min(QUALIFYING_SECONDS, durationSeconds);
    await this.count(link, trackId, 'play', visitor, qualified);
    return { qualified };
  }

  /**
   * A download through the link. Checked in order: the link (see above), the track is in it
   * (track_not_found), downloads `none` → downloads_disabled, the file exists (stream_not_ready
   * for a tagged rendition being made), then one download is taken by a conditional update
   * (max_downloads reached → downloads_disabled). `tagged` serves what visitors hear (the tagged
   * rendition, or the clean one when the producer has no voice tag); `original` the upload.
   */
  async download(slug: string, trackId: string, visitor: Visitor): Promise<PackDownload> {
    const link = await this.open(slug, visitor);
    if (!(await this.repo.shownTrack(link.packId, trackId))) throw new AppError(TracksErrors.trackNotFound);
    if (link.downloads === 'none') throw new AppError(PackErrors.downloadsDisabled);
    const file = await this.fileOf(link.downloads, trackId);
    if (!(await this.repo.claimDownload(link.id))) throw new AppError(PackErrors.downloadsDisabled);
    await this.count(link, trackId, 'download', visitor);
    return {
      ...file,
      redirect: await this.storage.downloadUrl(file.sha256, file.meta, this.clock.now()),
    };
  }

  /** The HTML page of the link (it asks for the code itself: see pack-page.ts). */
  page(slug: string): string {
    return packPage(SLUG.test(slug) ? slug : '');
  }

  private async fileOf(
    kind: 'tagged' | 'original',
    trackId: string,
  ): Promise<Omit<PackDownload, 'redirect'>> {
    if (kind === 'tagged') {
      const heard = await this.listening.publicRendition(trackId, DEFAULT_PIXELS);
      if (!heard) throw new AppError(ListeningErrors.streamNotReady);
      return {
        sha256: heard.file.sha256,
        size: heard.file.bytes,
        meta: { filename: `${safeName(heard.title)}.m4a`, contentType: heard.file.contentType },
      };
    }
    const original = await this.repo.originalFile(trackId);
    if (!original) throw new AppError(TracksErrors.trackNotFound);
    const ext = original.format === 'aifc' ? 'aiff' : (original.format ?? 'bin');
    return {
      sha256: original.sha256,
      size: original.bytes,
      meta: {
        filename: `${safeName(original.title)}.${ext}`,
        contentType: ORIGINAL_TYPES[original.format ?? ''] ?? 'application/octet-stream',
      },
    };
  }

  /** The link's checks, in the order of the class comment. */
  private async open(slug: string, visitor: Visitor): Promise<OpenedLinkRow> {
    const link = SLUG.test(slug) ? await this.repo.linkBySlug(slug) : null;
    if (!link || link.revokedAt) throw new AppError(PackErrors.packLinkNotFound);
    const now = this.clock.now();
    if (link.expiresAt && link.expiresAt <= now) throw new AppError(PackErrors.packLinkExpired);
    if (!link.accessCodeHash) return link;
    const code = visitor.accessCode;
    if (code === undefined || code === '') throw new AppError(PackErrors.accessCodeRequired);
    const right = accessCodeMatches(this.secret.value, link.id, code, link.accessCodeHash);
    const subject = `${link.id}:${hmac(this.secret.value, `pack-ip:${visitor.ip}`)}`;
    const windows = [{ seconds: ATTEMPT_WINDOW_SECONDS, limit: this.config.limits.accessCodeAttempts }];
    // the outcome is committed before it is answered: a wrong code's spending must stay
    const outcome = await this.repo.transaction((tx) =>
      right
        ? RollingBudget.check(tx, 'pack_code', subject, windows, now)
        : RollingBudget.spend(tx, 'pack_code', subject, windows, now),
    );
    if (!outcome.ok) {
      throw new AppError(GeneralErrors.tooManyRequests, {
        headers: { 'Retry-After': String(outcome.retryAfter) },
        context: { retry_after: outcome.retryAfter },
      });
    }
    if (!right) throw new AppError(PackErrors.accessCodeInvalid);
    return link;
  }

  /** Analytics, never the owner's own visits; recording cannot fail the request (PackAnalytics). */
  private async count(
    link: OpenedLinkRow,
    trackId: string | null,
    event: 'view' | 'play' | 'download',
    visitor: Visitor,
    counts = true,
  ): Promise<void> {
    if (visitor.principal?.userId === link.ownerId) return;
    await this.analytics.record(link.id, trackId, event, visitor.ip, counts);
  }
}

const safeName = (title: string) => title.replace(/[^\w .-]+/g, '_');
