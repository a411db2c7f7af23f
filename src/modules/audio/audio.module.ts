import { Module } from '@nestjs/common';
import { AudioToolkit } from './audio-toolkit';
import { FingerprintRepository } from './fingerprint.repository';
import { FingerprintService } from './fingerprint.service';

/** Decoding, fingerprinting (worker threads) and fingerprint matching with the index. */
@Module({
  providers: [AudioToolkit, FingerprintRepository, FingerprintService],
  exports: [AudioToolkit, FingerprintService],
})
export class AudioModule {}
