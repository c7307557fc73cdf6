#!/usr/bin/env node
// The `nestjs-redis-lock` command (package.json "bin"): the engine and ioredis only, no NestJS.
import { runCli } from './run-cli.js';

void runCli(process.argv.slice(2), process.env, process).then((status) => {
  // No process.exit(): output still being written is flushed, then the process ends by itself.
  process.exitCode = status;
});
