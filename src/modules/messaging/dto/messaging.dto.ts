import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CreateConversationDto {
  /** the other participant */
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  user_id!: string;
}

export class SendMessageDto {
  /** up to 2,000 characters as a user sees them (LIMIT_MESSAGE_CHARS); not blank */
  @IsString()
  @IsNotEmpty()
  body!: string;
}

export class DirectMessageDto extends SendMessageDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  recipient_id!: string;
}

export class MessageDto {
  id!: string;
  conversation_id!: string;
  sender_id!: string;
  body!: string;
  created_at!: string;
}

export class MessageListDto {
  data!: MessageDto[];
  next_cursor!: string | null;
}

export class ParticipantDto {
  id!: string;
  display_name!: string;
}

export class ConversationDto {
  id!: string;
  /** the other participant */
  other_user!: ParticipantDto;
  last_message!: MessageDto | null;
  /** messages from the other participant after your last read */
  unread_count!: number;
  last_activity_at!: string;
  created_at!: string;
}

export class ConversationListDto {
  data!: ConversationDto[];
  next_cursor!: string | null;
}
