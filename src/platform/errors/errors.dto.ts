export class ErrorEntryDto {
  module!: string;
  code!: string;
  status!: number;
  message!: string;
  description!: string;
}

export class ErrorCatalogueDto {
  data!: ErrorEntryDto[];
}
