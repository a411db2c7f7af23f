import { Module } from '@nestjs/common';
import { SplitSheetsController } from './split-sheets.controller';
import { SplitSheetsRepository } from './split-sheets.repository';
import { SplitSheetsService } from './split-sheets.service';

/**
 * Split sheets (issue 24): a module of their own rather than inside tracks — they have their own
 * version, their own error and a reader the tracks module does not know (license holders), and
 * licensing depends on them (the frozen copy) without depending on the rest of tracks' service.
 */
@Module({
  controllers: [SplitSheetsController],
  providers: [SplitSheetsRepository, SplitSheetsService],
  exports: [SplitSheetsService],
})
export class SplitSheetsModule {}
