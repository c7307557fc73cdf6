import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { InvalidLockOptionsError } from '../core/errors/invalid-lock-options.error.js';
import { LockLostError } from '../core/errors/lock-lost.error.js';
import type { LeaderElection } from '../core/leader/leader-election.js';
import type { LeaderTerm } from '../core/leader/leader-term.interface.js';
import { LockManager } from '../core/lock-manager.js';
import {
  assertKnownOptions,
  validateOptionsObject,
  validateTtl,
} from '../core/options/validation.js';
import { LEADER_ELECTIONS_METADATA } from './leader.constants.js';
import type { LeaderOnlyMetadata, LeaderOnlyOptions } from './leader-only-options.interface.js';

/** One election this application runs: who asked for it, with which ttl. */
interface Campaign {
  readonly election: LeaderElection;
  readonly ttl: number | undefined;
  readonly by: string;
}

/**
 * Leader elections of the application, on the module's `LockManager`: one campaign per name,
 * for every name a `@LeaderOnly` method uses (started at bootstrap) and every name passed to
 * `elect()`. Each is stopped on `app.close()` before the manager closes: the leader steps down
 * (its term's signal aborts) and then releases its lock, so the next leader takes over at once.
 *
 * @example
 * @Injectable()
 * export class Reports {
 *   constructor(private readonly leader: LeaderService) {}
 *
 *   async onApplicationBootstrap() {
 *     this.leader.elect('reports:refresher', { ttl: 10_000 });
 *   }
 *
 *   @Interval(5_000)
 *   async refresh() {
 *     const term = this.leader.term('reports:refresher');
 *     if (!term) return; // another instance refreshes
 *     await this.store.refresh({ signal: term.signal, fencingToken: term.fencingToken });
 *   }
 * }
 * @publicApi
 */
@Injectable()
export class LeaderService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly campaigns = new Map<string, Campaign>();
  private readonly logger = new Logger('LeaderService');
  private closed = false;

  constructor(
    private readonly manager: LockManager,
    private readonly modules: ModulesContainer,
  ) {}

  /**
   * Runs for leader of `name` from now until the application closes (once per name: later calls
   * return the same election). Returns the engine's election: `isLeader`, `term`, `stop()`.
   * @throws InvalidLockOptionsError for an invalid name or option, or a ttl that differs from
   *   the one this name was elected with
   */
  elect(name: string, options?: LeaderOnlyOptions): LeaderElection {
    const input = validateOptionsObject(options, 'LeaderService.elect()') as LeaderOnlyOptions;
    assertKnownOptions(input, ['ttl'], 'LeaderService.elect()');
    const ttl = input.ttl === undefined ? undefined : validateTtl(input.ttl);
    return this.campaign(name, ttl, 'LeaderService.elect()');
  }

  /**
   * Whether this instance leads `name` right now (always `false` for a name nobody elects).
   * Measured on this process's monotonic clock, so a process that resumes after a freeze longer
   * than the ttl answers `false` at once.
   */
  isLeader(name: string): boolean {
    return this.campaigns.get(name)?.election.isLeader ?? false;
  }

  /** The term this instance serves as leader of `name`: its signal and fencing token. */
  term(name: string): LeaderTerm | undefined {
    return this.campaigns.get(name)?.election.term;
  }

  /** Starts the elections of every `@LeaderOnly` method of the application. */
  onApplicationBootstrap(): void {
    for (const module of this.modules.values()) {
      for (const wrapper of [...module.providers.values(), ...module.controllers.values()]) {
        const instance = wrapper.instance as object | null | undefined;
        if (!instance || typeof instance !== 'object') continue;
        const elections: LeaderOnlyMetadata[] | undefined = Reflect.getMetadata(
          LEADER_ELECTIONS_METADATA,
          instance.constructor,
        );
        for (const { name, ttl, method } of elections ?? []) {
          this.campaign(name, ttl, `@LeaderOnly on ${method}`);
        }
      }
    }
  }

  /** Steps down from every election, then releases their locks, before the manager closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    const campaigns = [...this.campaigns.values()];
    this.campaigns.clear();
    await Promise.all(campaigns.map(({ election }) => election.stop()));
  }

  private campaign(name: string, ttl: number | undefined, by: string): LeaderElection {
    const running = this.campaigns.get(name);
    if (running) {
      if (running.ttl !== ttl) {
        throw new InvalidLockOptionsError(
          'ttl',
          `Leader election "${name}" is run with ttl ${running.ttl ?? 'default'} by ${running.by}, but ${by} asks for ${ttl ?? 'the default'}. Use one ttl per election name.`,
        );
      }
      return running.election;
    }
    if (this.closed) {
      throw new InvalidLockOptionsError(
        'name',
        `Leader election "${name}" was asked for by ${by} after the application began to close.`,
      );
    }
    const election = this.manager.electLeader(name, {
      ...(ttl !== undefined && { ttl }),
      onElected: (_signal, term) =>
        this.logger.log(`This instance leads "${name}" (fencing token ${term.fencingToken}).`),
      onRevoked: (reason, term) => {
        if (reason instanceof LockLostError) {
          this.logger.warn(
            `This instance lost the leadership of "${name}" (fencing token ${term.fencingToken}): ${reason.message}`,
          );
        }
      },
      onError: (error) =>
        this.logger.error(
          `Leader election "${name}": ${error instanceof Error ? error.message : String(error)}`,
          error instanceof Error ? error.stack : undefined,
        ),
    });
    this.campaigns.set(name, { election, ttl, by });
    return election;
  }
}
