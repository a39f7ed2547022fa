// Package dashboard serves Cairn's web dashboard: a single page of plain ES
// modules (no framework, no build step) embedded in the binary, so that it
// works offline and needs nothing but the server. The page itself is
// public, as Qdrant's /dashboard is; every API request it makes carries the
// key the user entered (kept in the browser's sessionStorage), so the API
// key rules apply to what it reads and changes. See docs/dashboard.md.
package dashboard
