import { Injectable, PipeTransform } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { isWellFormedId } from '../ids';

/** Path ids must look like ours (`usr_…`); anything else is bad_request, not a lookup. */
@Injectable()
export class IdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isWellFormedId(value)) {
      throw new AppError(GeneralErrors.badRequest, { message: 'Malformed id in the path.' });
    }
    return value;
  }
}
