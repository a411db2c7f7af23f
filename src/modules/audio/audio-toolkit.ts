import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';

export interface AudioInfo {
  format: 'wav' | 'aiff' | 'aifc' | 'flac';
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  durationMs: number;
}

/** Why a file was refused: not a format we take, or a recognised one that cannot be decoded. */
export type AudioProblem = { ok: false; kind: 'unsupported' | 'corrupt'; reason: string };
export type ProbeResult = ({ ok: true } & AudioInfo) | AudioProblem;
export type FingerprintResult = { ok: true; fingerprint: number[]; durationMs: number } | AudioProblem;

/**
 * Decoding and fingerprinting run in worker threads (audio-worker.mjs), never on the event loop
 * that serves requests: fingerprinting two minutes of audio is ~1 s of CPU.
 */
@Injectable()
export class AudioToolkit implements OnModuleDestroy {
  private readonly pool = new Piscina({
    filename: join(__dirname, 'worker', 'audio-worker.mjs'),
    minThreads: 0,
    maxThreads: Math.max(1, Math.min(4, availableParallelism() - 1)),
    idleTimeout: 30_000,
  });

  /** Format from the bytes, header, duration. Cheap: headers only (FLAC without length: decodes). */
  probe(path: string): Promise<ProbeResult> {
    return this.pool.run({ op: 'probe', path }) as Promise<ProbeResult>;
  }

  /** Chromaprint raw fingerprint of the first 120 s. */
  fingerprint(path: string): Promise<FingerprintResult> {
    return this.pool.run({ op: 'fingerprint', path }) as Promise<FingerprintResult>;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.destroy();
  }
}
