import { Module } from '@nestjs/common';
import { TestClockSync } from './test-clock-sync';
import { TestHooksController } from './test-hooks.controller';

@Module({ controllers: [TestHooksController], providers: [TestClockSync] })
export class TestHooksModule {}
