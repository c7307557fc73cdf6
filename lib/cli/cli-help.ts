/** What `nestjs-redis-lock --help` prints. @internal */
export const CLI_HELP = `Usage: nestjs-redis-lock <command> [options]

See and clear the distributed locks nestjs-redis-lock keeps in Redis.

Commands:
  list [pattern]     List the locks held right now (SCAN, never KEYS): key, remaining
                     ttl, fencing token and the holder's owner label. pattern is a
                     glob over keys without the prefix, such as 'order:*'.
  inspect <key>      Show one lock: held or free, ttl, fencing token, owner.
  release <key>      Force-release a stuck lock, whoever holds it, after confirmation.
                     Its holder learns of it at its next renewal or release.

Options:
  --url <url>        Redis URL, redis://[user:password@]host:port[/db] or rediss://
                     for TLS (default: $REDIS_URL, from the environment or else from
                     ./.env). Give 3 to 15 for a Redlock quorum.
  --env-file <path>  Read REDIS_URL from this file instead of ./.env.
  --cluster          The URLs are seed nodes of a Redis Cluster.
  --prefix <prefix>  The keyPrefix of the application's locks (default: lock:).
  --count <n>        list: keys each SCAN call looks at (default: 100).
  --json             One JSON object per line instead of text.
  -y, --yes          release: do not ask for confirmation.
  --timeout <ms>     How long Redis gets to connect and to answer (default: 5000).
  -h, --help         Show this help.

Exit status: 0 done, 1 failed (or release not confirmed), 2 invalid arguments.

Examples:
  nestjs-redis-lock list 'order:*' --url redis://localhost:6379
  nestjs-redis-lock inspect order:42 --url rediss://user:secret@redis.internal:6380
  nestjs-redis-lock release job:nightly-report --url redis://localhost:6379 --yes
`;
