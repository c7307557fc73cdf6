import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
} from '@nestjs/common';
import { AccountsService, type TransferRequest } from './accounts.service';

@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Put(':accountId')
  @HttpCode(204)
  async open(
    @Param('accountId') accountId: string,
    @Body() body: { balance: number },
  ): Promise<void> {
    await this.accounts.open(accountId, Number(body.balance));
  }

  @Get(':accountId')
  async balance(@Param('accountId') accountId: string): Promise<{ balance: number }> {
    return { balance: await this.accounts.balance(accountId) };
  }

  @Post('transfers')
  async transfer(@Body() body: TransferRequest): Promise<{ from: number; to: number }> {
    const amount = Number(body.amount);
    if (!Number.isInteger(amount) || amount <= 0 || body.from === body.to) {
      throw new BadRequestException(
        'A transfer needs two different accounts and a positive whole amount.',
      );
    }
    return this.accounts.transfer({ from: body.from, to: body.to, amount });
  }
}
