import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CatalogService, type ProductView } from '../catalog/catalog.service';
import { type PurchaseResult, StockService } from './stock.service';

@Controller('products')
export class ProductsController {
  constructor(
    private readonly stock: StockService,
    private readonly catalog: CatalogService,
  ) {}

  /** Buy one item. `?lock=off` runs the same purchase without the lock (to show the oversell). */
  @Post(':productId/orders')
  async buy(
    @Param('productId') productId: string,
    @Query('lock') lock?: string,
  ): Promise<PurchaseResult> {
    if (await this.stock.soldOut(productId)) return { sold: false, reason: 'sold-out' };
    return lock === 'off' ? this.stock.buyUnlocked(productId) : this.stock.buy(productId);
  }

  /** Set the stock and forget the orders (the demo starts every run from here). */
  @Put(':productId/stock')
  @HttpCode(204)
  async reset(
    @Param('productId') productId: string,
    @Body() body: { stock: number },
  ): Promise<void> {
    await this.stock.reset(productId, Number(body.stock));
  }

  @Get(':productId/stock')
  state(@Param('productId') productId: string): Promise<{ stock: number; orders: string[] }> {
    return this.stock.state(productId);
  }

  /** The product page: a cached read whose rebuild runs once, however many misses arrive. */
  @Get(':productId')
  view(@Param('productId') productId: string): Promise<ProductView> {
    return this.catalog.get(productId);
  }
}
