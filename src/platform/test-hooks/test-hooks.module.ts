import { Module } from '@nestjs/common';
import { TestHooksController } from './test-hooks.controller';

@Module({ controllers: [TestHooksController] })
export class TestHooksModule {}
