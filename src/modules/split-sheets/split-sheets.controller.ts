import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, CurrentPrincipal, OptionalPrincipal } from '../../platform/access/access.decorator';
import type { Principal } from '../../platform/access/principal';
import { ApiErrors } from '../../platform/docs/api-errors.decorator';
import { GeneralErrors } from '../../platform/errors/general.errors';
import { AcceptsIfMatch, ETagged, IfMatch } from '../../platform/http/etag';
import { IdPipe } from '../../platform/http/id.pipe';
import { TracksErrors } from '../tracks/tracks.errors';
import { PutSplitSheetDto, SplitSheetDto } from './dto/split-sheet.dto';
import { SplitSheetErrors } from './split-sheets.errors';
import { SplitSheetsService } from './split-sheets.service';

@ApiTags('split-sheets')
@Controller('tracks/:id/split-sheet')
@ETagged()
export class SplitSheetsController {
  constructor(private readonly splitSheets: SplitSheetsService) {}

  @Get()
  @Access.public({ scope: 'catalog:read' })
  @ApiOperation({
    summary: 'A track’s split sheet (owner, credited collaborators, license holders, admins)',
    description:
      'Who wrote the composition (writers, composers, publishers with PRO and IPI) and who owns the master, in basis points. `version` 0 and empty groups while there is none. A track the caller may not see is track_not_found; anyone else who sees it but is neither credited on it nor holds an active license of it gets forbidden. The answer carries the version as ETag.',
  })
  @ApiErrors(TracksErrors.trackNotFound, GeneralErrors.forbidden)
  get(@Param('id', IdPipe) id: string, @OptionalPrincipal() principal?: Principal): Promise<SplitSheetDto> {
    return this.splitSheets.get(principal, id);
  }

  @Put()
  @Access.user('catalog:write')
  @AcceptsIfMatch()
  @ApiOperation({
    summary: 'Write a track’s split sheet (owner)',
    description:
      'Two groups, each totalling exactly 10,000 basis points: `composition` [{name, role writer|composer|publisher, pro?, ipi? (9–11 digits), share_bps}] and `master` [{name, share_bps}]. Checked in order: track_not_found, forbidden (not the owner), split_sheet_structural_validation_failed (`errors` names every problem), stale_version (If-Match not the current version; `"0"` creates only when there is none — the write is one conditional statement, so of concurrent writers with the same If-Match one wins). A license issued afterwards freezes this version; its certificate (GET /licenses/verify/:certificate_number) shows it.',
  })
  @ApiErrors(TracksErrors.trackNotFound, SplitSheetErrors.splitSheetStructuralValidationFailed)
  put(
    @CurrentPrincipal() principal: Principal,
    @Param('id', IdPipe) id: string,
    @Body() dto: PutSplitSheetDto,
    @IfMatch() ifMatch: number | undefined,
  ): Promise<SplitSheetDto> {
    return this.splitSheets.put(principal, id, dto, ifMatch);
  }
}
