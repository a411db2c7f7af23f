import { Module } from '@nestjs/common';
import { ListeningModule } from '../listening/listening.module';
import { PackAnalytics } from './pack-analytics';
import { PackLinksService } from './pack-links.service';
import { PackLinksController, PacksController } from './packs.controller';
import { PacksRepository } from './packs.repository';
import { PacksService } from './packs.service';

/**
 * Packs (issue 24): a producer's folders of beats (ordered tracks), private links to them (slug,
 * hashed access code with an attempt budget, expiry, downloads with a cap), the public side that
 * needs no account (tagged renditions through the listening module), and per-link analytics.
 */
@Module({
  imports: [ListeningModule],
  controllers: [PacksController, PackLinksController],
  providers: [PacksRepository, PacksService, PackLinksService, PackAnalytics],
})
export class PacksModule {}
