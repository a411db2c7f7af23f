import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { IdPipe } from '../../platform/http/id.pipe';
import { PageQueryDto } from '../../platform/pagination/page.dto';
import { TracksErrors } from '../tracks/tracks.errors';
import { LibraryEntryDto, LibraryListDto } from './dto/library.dto';
import { LibraryErrors } from './library.errors';
import { LibraryService } from './library.service';

@ApiTags('library')
@Controller('library/tracks')
export class LibraryController {
  constructor(private readonly library: LibraryService) {}

  @Put(':track_id')
  @Access.user('library:write')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Save a track to your library (201); saving it again is track_already_saved',
    description:
      'Checked in order: track_not_found (unknown, or a track you may not see: only tracks visible to you can be saved), track_already_saved, library_full (10,000, LIMIT_LIBRARY_ITEMS, held by the database under concurrent saves). A track deleted later leaves every library (and playlist); one that stops being visible to you stays listed with `available: false` and no details.',
  })
  @ApiErrors(TracksErrors.trackNotFound, LibraryErrors.trackAlreadySaved, LibraryErrors.libraryFull)
  save(
    @CurrentPrincipal() principal: Principal,
    @Param('track_id', IdPipe) trackId: string,
  ): Promise<LibraryEntryDto> {
    return this.library.save(principal, trackId);
  }

  @Delete(':track_id')
  @Access.user('library:write')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove a track from your library',
    description: 'Idempotent: 204 whether or not the track was saved.',
  })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('track_id', IdPipe) trackId: string,
  ): Promise<void> {
    await this.library.remove(principal, trackId);
  }

  @Get()
  @Access.user('library:read')
  @ApiOperation({
    summary: 'Your saved tracks, newest first, with each track’s summary',
    description:
      'Cursor-paginated. An entry whose track is no longer visible to you has `available: false` and `track: null`; deleted tracks are gone.',
  })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<LibraryListDto> {
    return this.library.list(principal, query);
  }
}
