import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startRedis, stopAllRedis, type RedisServer } from '../../test/support/redis-server';
import { runFaultScenario, type FaultRun, type FaultScenarioOptions } from '../demo/faults';
import { deleteKeys } from '../demo/redis';
import { table } from '../demo/report';
import { writeTimeline } from '../demo/timeline-page';
import { ensureSampleAppBuilt } from './built-app';
import { withChromium } from './chromium';
import {
  TEST_DATABASE_URL,
  assertPostgres,
  dropTestSchema,
  schemaExists,
  testSchema,
} from './postgres';

// The demo's fault runs for real: 3 app processes, the lock holder frozen with SIGSTOP
// between reading and writing the stock for longer than the ttl, the next holder killed with
// SIGKILL, on a private redis-server.
const scenario = (server: RedisServer, prefix: string): Omit<FaultScenarioOptions, 'fencing'> => ({
  redisUrl: server.url,
  keyPrefix: prefix,
  stock: 40,
  ttlMs: 1_000,
  paymentMs: 25,
  concurrency: 12,
  log: () => undefined,
});

/** The width and height a PNG says it has (its IHDR chunk). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('the demo with faults, stock in Redis', () => {
  const prefix = 'nrl-test-faults:';
  let server: RedisServer;
  let unfenced: FaultRun;
  let fenced: FaultRun;

  beforeAll(async () => {
    ensureSampleAppBuilt();
    server = await startRedis();
    unfenced = await runFaultScenario({ ...scenario(server, prefix), fencing: false });
    fenced = await runFaultScenario({ ...scenario(server, prefix), fencing: true });
  }, 180_000);
  afterAll(() => stopAllRedis());

  it('without fencing: the frozen holder wakes up, its stale write is accepted, the stock is oversold', () => {
    const { staleWrite, report, timeline } = unfenced;
    expect(staleWrite.lane).toBe(timeline.pause.lane);
    expect(staleWrite.token).toBe(timeline.pause.token);
    // Another instance held the lock with a larger token before the write arrived.
    expect(timeline.takeover.token).toBeGreaterThan(staleWrite.token);
    expect(timeline.takeover.at).toBeLessThan(staleWrite.at);
    expect(staleWrite.accepted).toBe(true);
    // It wrote back what it read before the pause, over the sold-out stock.
    expect(staleWrite.stockAfter).toBe(timeline.pause.stockRead - 1);
    expect(staleWrite.stockBefore).toBe(0);
    expect(report).toMatchObject({ staleAttempted: 1, staleRejected: 0, conserved: false });
    expect(unfenced.refusedAnswers).toBe(0);
    expect(report.oversold).toBe(staleWrite.stockAfter - staleWrite.stockBefore + 1);
  });

  it('with fencing: the same stale write is refused, and exactly the stock is sold', () => {
    const { staleWrite, report, timeline } = fenced;
    expect(staleWrite.token).toBe(timeline.pause.token);
    expect(staleWrite.accepted).toBe(false);
    // Its buyer was told: a 409 saying no sale was made.
    expect(fenced.refusedAnswers).toBe(1);
    expect(staleWrite.lastToken).toBeGreaterThan(staleWrite.token);
    expect(report).toMatchObject({
      staleAttempted: 1,
      staleRejected: 1,
      sold: 40,
      stockLeft: 0,
      oversold: 0,
      duplicateIds: 0,
      conserved: true,
    });
  });

  it('after a SIGKILL mid-sale, the lease runs out and a third instance carries on', () => {
    for (const { timeline } of [unfenced, fenced]) {
      const { kill, afterKill, pause } = timeline;
      expect(kill.midSale).toBe(true);
      expect(kill.lane).not.toBe(pause.lane);
      expect(afterKill.lane).not.toBe(kill.lane);
      expect(afterKill.lane).not.toBe(pause.lane);
      expect(afterKill.token).toBeGreaterThan(kill.token!);
      // The killed holder never released: its last hold ends with the kill.
      const last = timeline.holds.filter((h) => h.lane === kill.lane).at(-1)!;
      expect(last).toMatchObject({ token: kill.token, end: 'killed' });
    }
  });

  it('draws the timeline: Chromium renders the page, the picture names every instance, its labels fit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nrl-timeline-'));
    try {
      const runs = [unfenced, fenced];
      const paths = writeTimeline(
        dir,
        runs.map((r) => r.timeline),
        table(runs.map((r) => r.report)),
      );
      expect(readFileSync(paths.svg, 'utf8')).toMatch(
        /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
      );
      const { picture, png } = await withChromium(async (page) => {
        await page.goto(pathToFileURL(paths.html).href);
        const svg = page.locator('#timeline svg');
        // Runs in the page (an SVGSVGElement); the tests compile without the DOM's types.
        const picture = await svg.evaluate((element: any) => {
          const width = element.viewBox.baseVal.width as number;
          const texts = [...element.querySelectorAll('text')].map((t: any) => {
            const box = t.getBBox();
            return {
              text: (t.textContent ?? '') as string,
              left: box.x as number,
              right: (box.x + box.width) as number,
            };
          });
          const shown = element.getBoundingClientRect();
          return {
            width,
            texts,
            shownWidth: shown.width as number,
            shownHeight: shown.height as number,
          };
        });
        return { picture, png: await svg.screenshot() };
      });
      expect(picture.shownWidth).toBeGreaterThan(1_000);
      expect(picture.shownHeight).toBeGreaterThan(600);
      const words = picture.texts.map((t) => t.text);
      for (const run of runs) {
        for (const lane of run.timeline.lanes) {
          // Once per panel, with its pid.
          expect(words.filter((w) => w === lane.name)).toHaveLength(runs.length);
          expect(words).toContain(`pid ${lane.pid}`);
        }
      }
      const said = words.join('\n');
      expect(said).toContain(`holding token ${unfenced.timeline.pause.token}`);
      expect(said).toMatch(/SIGSTOP mid-sale/);
      expect(said).toMatch(/SIGKILL mid-sale/);
      expect(said).toContain(`stale write ACCEPTED (token ${unfenced.staleWrite.token})`);
      expect(said).toContain(
        `stale write REFUSED: token ${fenced.staleWrite.token} < ${fenced.staleWrite.lastToken} already accepted`,
      );
      // Every label lies inside the picture.
      for (const text of picture.texts) {
        expect({ text: text.text, inside: text.left >= 0 && text.right <= picture.width }).toEqual({
          text: text.text,
          inside: true,
        });
      }
      const size = pngSize(png);
      expect(size.width).toBeGreaterThan(1_000);
      expect(size.height).toBeGreaterThan(600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('leaves its keys under its own prefix only, and deleting that prefix empties the server', async () => {
    const client = server.client();
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => !key.startsWith(prefix))).toEqual([]);
    // Some keys have a ttl (a release's mark lives 3 s): one may expire between the listing and
    // the deletion, so the count deleted is at most the count listed.
    const deleted = await deleteKeys(server.url, prefix);
    expect(deleted).toBeGreaterThan(0);
    expect(deleted).toBeLessThanOrEqual(keys.length);
    expect(await client.dbsize()).toBe(0);
  });
});

describe('the demo with faults, stock in PostgreSQL', () => {
  const schema = testSchema('faults');
  let server: RedisServer;

  beforeAll(async () => {
    ensureSampleAppBuilt();
    await assertPostgres();
    server = await startRedis();
  });
  afterAll(async () => {
    await stopAllRedis();
    await dropTestSchema(schema);
  });

  it("refuses the frozen holder's stale write with UPDATE ... WHERE last_fence < $token", async () => {
    const { staleWrite, report } = await runFaultScenario({
      ...scenario(server, 'nrl-test-pg:'),
      fencing: true,
      env: { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema },
    });
    expect(await schemaExists(schema)).toBe(true);
    expect(staleWrite.accepted).toBe(false);
    expect(staleWrite.lastToken).toBeGreaterThan(staleWrite.token);
    expect(report).toMatchObject({
      staleAttempted: 1,
      staleRejected: 1,
      sold: 40,
      oversold: 0,
      conserved: true,
    });
  }, 90_000);
});
