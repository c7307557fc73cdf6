import { Controller, Get } from '@nestjs/common';

@Controller('health')
export class HealthController {
  @Get()
  check(): { status: 'ok'; pid: number } {
    return { status: 'ok', pid: process.pid };
  }
}
