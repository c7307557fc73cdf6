import { existsSync, readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, relative, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS as ARGS } from '../../sample-app/test/chromium';
import { fileFor, serveStatic } from './static-server';

const root = join(__dirname, '..', '..');
const dist = join(root, 'docs', '.vitepress', 'dist');

/** Every page of the built site, as the path a browser asks for. */
function builtPages(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === 'assets' ? [] : builtPages(path);
    if (!entry.name.endsWith('.html') || path === join(dist, '404.html')) return [];
    return [`/${relative(dist, path).split(sep).join('/')}`];
  });
}

/** What the crawl reads of a page's DOM (the test compiles without the DOM's types). */
interface PageDocument {
  querySelectorAll(selector: string): ArrayLike<{ readonly href?: string; readonly id: string }>;
}

interface Visit {
  readonly path: string;
  /** Console errors, uncaught exceptions and failed requests of the page. */
  readonly errors: string[];
  /** Same-origin links: the path and fragment each one points at. */
  readonly links: { readonly href: string; readonly path: string; readonly hash: string }[];
  readonly ids: Set<string>;
}

describe('the documentation site in a browser', () => {
  let server: Server;
  let origin: string;
  let browser: Browser;
  let pages: string[];
  const visits = new Map<string, Visit>();

  /** A browser tab that records its errors into `errors` (swapped per visit by the crawl). */
  async function tab(): Promise<{ page: Page; errors: { list: string[] } }> {
    const errors = { list: [] as string[] };
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.list.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.list.push(`uncaught: ${error.message}`));
    page.on('requestfailed', (request) => {
      // The theme prefetches the pages a page links to; leaving the page cancels those.
      if (request.failure()?.errorText !== 'net::ERR_ABORTED') {
        errors.list.push(`request failed: ${request.url()} (${request.failure()?.errorText})`);
      }
    });
    page.on('response', (response) => {
      if (response.status() >= 400) errors.list.push(`${response.status()}: ${response.url()}`);
    });
    return { page, errors };
  }

  async function visit(page: Page, path: string): Promise<void> {
    await page.goto(origin + path, { waitUntil: 'load' });
    // The theme hydrates after load; its script errors surface by then.
    await page.waitForSelector('#app .VPContent');
  }

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html'))) {
      throw new Error(
        `${relative(root, dist)} has no site: run \`npm run docs:build\` first (\`.ci/run\` does).`,
      );
    }
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's chromium (\`sudo apt-get install -y chromium\`) or run \`bash .ci/run\`, which does.`,
      );
    }
    ({ origin, server } = await serveStatic(dist));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    pages = builtPages(dist).sort();

    // A few tabs share the crawl (a tab per page would cost more than the page itself).
    const queue = [...pages];
    const crawl = async (): Promise<void> => {
      const crawler = await tab();
      for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
        const errors: string[] = [];
        crawler.errors.list = errors;
        await visit(crawler.page, path);
        const found = await crawler.page.evaluate(() => {
          const { document } = globalThis as unknown as { document: PageDocument };
          return {
            hrefs: Array.from(document.querySelectorAll('a[href]'), (a) => a.href!),
            ids: Array.from(document.querySelectorAll('[id]'), (element) => element.id),
          };
        });
        const links = found.hrefs
          .map((href) => new URL(href))
          .filter((url) => url.origin === origin)
          .map((url) => ({ href: url.pathname + url.hash, path: url.pathname, hash: url.hash }));
        visits.set(path, { path, errors, links, ids: new Set(found.ids) });
      }
      await crawler.page.close();
    };
    await Promise.all([crawl(), crawl(), crawl()]);
    expect(visits.size).toBe(pages.length);
  });

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise((resolve) => server.close(resolve));
  });

  it('has the guide, the migration pages and the API reference', () => {
    for (const page of [
      '/index.html',
      '/guide/getting-started.html',
      '/guide/decorator.html',
      '/guide/guarantees.html',
      '/guide/benchmarks.html',
      '/migrating/redlock.html',
      '/migrating/nest-redlock.html',
      '/api/index.html',
    ]) {
      expect(pages).toContain(page);
    }
    // TypeDoc writes a page per entry point, every public symbol on it.
    expect(pages).toContain('/api/nestjs-redis-lock/index.html');
  });

  it('renders every page without a console error, an uncaught exception or a failed request', () => {
    const failures = [...visits.values()].flatMap(({ path, errors }) =>
      errors.map((error) => `${path}: ${error}`),
    );
    expect(failures).toEqual([]);
  });

  it('resolves every internal link to a page, and every anchor to an element of it', () => {
    const broken: string[] = [];
    for (const { path, links } of visits.values()) {
      for (const link of links) {
        const target = link.path.endsWith('/') ? `${link.path}index.html` : link.path;
        if (!fileFor(dist, target)) {
          broken.push(`${path} → ${link.href}: no such page`);
          continue;
        }
        if (!link.hash || link.hash === '#') continue;
        const visit = visits.get(target);
        const id = decodeURIComponent(link.hash.slice(1));
        if (!visit) broken.push(`${path} → ${link.href}: an anchor into a file that is not a page`);
        else if (!visit.ids.has(id)) broken.push(`${path} → ${link.href}: no element #${id}`);
      }
    }
    expect(broken).toEqual([]);
    // The links checked include the sidebar's and the guide's own cross-references.
    const all = [...visits.values()].flatMap(({ links }) => links.map(({ href }) => href));
    expect(all).toContain('/guide/decorator.html#what-clients-get-when-locking-fails');
  });

  it('finds the decorator page with the local search', async () => {
    const { page, errors } = await tab();
    await visit(page, '/index.html');
    await page.click('.VPNavBarSearch button');
    const input = page.locator('.VPLocalSearchBox input');
    await input.fill('DistributedLock');
    const results = page.locator('.VPLocalSearchBox .results a');
    await results.first().waitFor();
    const targets = await results.evaluateAll((links) =>
      links.map((link) => new URL((link as unknown as { href: string }).href).pathname),
    );
    expect(targets).toContain('/guide/decorator.html');
    expect(errors.list).toEqual([]);
    await page.close();
  });

  it('shows the benchmark chart', async () => {
    const { page, errors } = await tab();
    await visit(page, '/guide/benchmarks.html');
    const chart = page.locator('img[src*="benchmarks-latest"]');
    await chart.scrollIntoViewIfNeeded();
    const shown = await chart.evaluate((element) => {
      const image = element as unknown as {
        complete: boolean;
        naturalWidth: number;
        getBoundingClientRect(): { width: number };
      };
      const box = image.getBoundingClientRect();
      return { loaded: image.complete, width: image.naturalWidth, shownWidth: box.width };
    });
    expect(shown.loaded).toBe(true);
    expect(shown.width).toBeGreaterThan(100);
    expect(shown.shownWidth).toBeGreaterThan(100);
    // And the tables of the same run, each under a heading of its own.
    const titles = readFileSync(join(root, 'bench', 'results', 'latest.md'), 'utf8')
      .split('\n')
      .filter((line) => /^\*\*.+\*\*$/.test(line));
    expect(titles.length).toBeGreaterThan(3);
    await expect(page.locator('.vp-doc h3').count()).resolves.toBe(titles.length);
    expect(errors.list).toEqual([]);
    await page.close();
  });
});
