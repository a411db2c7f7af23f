import { Module } from '@nestjs/common';
import { TracksModule } from '../tracks/tracks.module';
import { LibraryController } from './library.controller';
import { LibraryRepository } from './library.repository';
import { LibraryService } from './library.service';

/** Saved tracks (the user's library). */
@Module({
  imports: [TracksModule],
  controllers: [LibraryController],
  providers: [LibraryRepository, LibraryService],
  exports: [LibraryService],
})
export class LibraryModule {}
