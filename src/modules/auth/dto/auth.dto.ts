import { Transform } from 'class-transformer';
import { IsEmail, IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

const trimLower = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  /** Case-insensitive; stored lower-cased. */
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  /** At least 8 characters. */
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password!: string;

  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  display_name!: string;
}

export class EmailDto {
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class TokenDto {
  /** The `token` query parameter of the link in the mail. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token!: string;
}

export class LoginDto {
  @Transform(trimLower)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  password!: string;
}

export class RefreshDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refresh_token!: string;
}

export class ResetPasswordDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token!: string;

  /** At least 8 characters. */
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password!: string;
}

export class TokenPairDto {
  access_token!: string;
  token_type!: 'Bearer';
  /** seconds until the access token expires */
  expires_in!: number;
  /** single use: each refresh returns a new one; reusing an old one ends the session */
  refresh_token!: string;
}

export class RegisteredUserDto {
  id!: string;
  email!: string;
  display_name!: string;
  email_verified!: boolean;
  created_at!: string;
}

export class AcceptedDto {
  status!: 'accepted';
}

export class VerifiedDto {
  email_verified!: true;
}
