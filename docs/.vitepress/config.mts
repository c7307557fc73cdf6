import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';

// Written by TypeDoc (`npm run docs:api`) next to the API pages; absent until it has run, so
// that `vitepress dev` still starts on a fresh clone.
const apiSidebarFile = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url));
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile)
  ? (JSON.parse(readFileSync(apiSidebarFile, 'utf8')) as DefaultTheme.SidebarItem[])
  : [];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Introduction',
    items: [
      { text: 'Getting started', link: '/guide/getting-started' },
      { text: 'Configuration', link: '/guide/configuration' },
      { text: 'Redis clients: ioredis, iovalkey, node-redis', link: '/guide/clients' },
      { text: "Reusing your app's Redis connection", link: '/guide/recipes' },
    ],
  },
  {
    text: 'Using it',
    items: [
      { text: 'The decorator', link: '/guide/decorator' },
      { text: 'The service', link: '/guide/service' },
      { text: 'The engine without Nest', link: '/guide/engine' },
      { text: 'Semaphores, read-write and fair locks', link: '/guide/primitives' },
      { text: 'Errors', link: '/guide/errors' },
      { text: 'Testing your app', link: '/guide/testing' },
      { text: 'Leader election', link: '/guide/leader-election' },
      { text: 'Experimental: @nestjs/locks, @nestjs/schedule', link: '/guide/experimental' },
    ],
  },
  {
    text: 'Running it',
    items: [
      { text: 'Topologies', link: '/guide/topologies' },
      { text: 'Guarantees and failure modes', link: '/guide/guarantees' },
      { text: 'Operating it', link: '/guide/operating' },
      { text: 'Benchmarks', link: '/guide/benchmarks' },
    ],
  },
  {
    text: 'Migrating',
    items: [
      { text: 'From redlock', link: '/migrating/redlock' },
      { text: 'From redis-semaphore', link: '/migrating/redis-semaphore' },
      { text: 'From murlock', link: '/migrating/murlock' },
      { text: 'From @anchan828/nest-redlock', link: '/migrating/nest-redlock' },
    ],
  },
  {
    text: 'More',
    items: [
      { text: 'The sample app', link: '/guide/sample-app' },
      { text: 'FAQ', link: '/guide/faq' },
      { text: 'Developing the library', link: '/guide/contributing' },
      { text: 'API reference', link: '/api/' },
    ],
  },
];

export default defineConfig({
  title: 'nestjs-redis-lock',
  description:
    'Distributed locks on Redis for NestJS: a decorator, an injectable service and a framework-free lock engine with fencing tokens.',
  // GitHub Pages serves a project site under /<repository>/: the workflow sets DOCS_BASE.
  base: process.env.DOCS_BASE ?? '/',
  lang: 'en-US',
  // A declared icon, so that browsers do not ask for a /favicon.ico the site does not have.
  head: [
    [
      'link',
      { rel: 'icon', type: 'image/svg+xml', href: `${process.env.DOCS_BASE ?? '/'}favicon.svg` },
    ],
  ],
  // Links stay .html files, which any static server (and the browser test's) serves as they are.
  cleanUrls: false,
  lastUpdated: false,
  vite: {
    // The local search index holds every page, the API reference included: one large chunk,
    // loaded only when the search box opens.
    build: { chunkSizeWarningLimit: 1024 },
  },
  markdown: {
    theme: { light: 'github-light', dark: 'github-dark' },
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Guarantees', link: '/guide/guarantees' },
      { text: 'Benchmarks', link: '/guide/benchmarks' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: {
      '/guide/': guide,
      '/migrating/': guide,
      '/api/': [{ text: 'Guide', link: '/guide/getting-started' }, ...apiSidebar],
    },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
    footer: { message: 'Released under the MIT License.' },
  },
});
