import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  UseFilters,
} from '@nestjs/common';
import { CatalogService, type ProductView } from '../catalog/catalog.service';
import type { StockState } from '../stock/stock-repository.interface';
import { StockErrorFilter } from './stock-error.filter';
import { type PurchaseResult, StockService } from './stock.service';

function onOff(name: string, value: string | undefined): 'on' | 'off' {
  if (value === undefined || value === 'on' || value === 'off') return value ?? 'on';
  throw new BadRequestException(`?${name}= takes on or off, not ${JSON.stringify(value)}.`);
}

@Controller('products')
@UseFilters(StockErrorFilter)
export class ProductsController {
  constructor(
    private readonly stock: StockService,
    private readonly catalog: CatalogService,
  ) {}

  /**
   * Buy one item. `?lock=off` runs the same purchase without the lock (to show the oversell),
   * `?fencing=off` with the lock but a stock write that ignores its fencing token (to show what
   * a paused holder's stale write does). A stale write that the fence refused is a 409.
   */
  @Post(':productId/orders')
  async buy(
    @Param('productId') productId: string,
    @Query('lock') lockParam?: string,
    @Query('fencing') fencingParam?: string,
  ): Promise<PurchaseResult> {
    const lock = onOff('lock', lockParam);
    const fencing = onOff('fencing', fencingParam);
    if (lock === 'off' && fencingParam === 'on') {
      throw new BadRequestException('?fencing=on needs the lock: its token is the fence.');
    }
    if (await this.stock.soldOut(productId)) return { sold: false, reason: 'sold-out' };
    if (lock === 'off') return this.stock.buyUnlocked(productId);
    return this.stock.buy(productId, fencing === 'on' ? 'fenced' : 'unfenced');
  }

  /** Set the stock and forget the orders (the demo starts every run from here). */
  @Put(':productId/stock')
  @HttpCode(204)
  async reset(
    @Param('productId') productId: string,
    @Body() body: { stock: number },
  ): Promise<void> {
    await this.stock.reset(productId, body?.stock);
  }

  @Get(':productId/stock')
  state(@Param('productId') productId: string): Promise<StockState> {
    return this.stock.state(productId);
  }

  /** The product page: a cached read whose rebuild runs once, however many misses arrive. */
  @Get(':productId')
  view(@Param('productId') productId: string): Promise<ProductView> {
    return this.catalog.get(productId);
  }
}
