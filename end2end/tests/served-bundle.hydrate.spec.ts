// The bundle as the running server sends it: compressed as the browser
// asks, cached for a year under content-hashed names, and the detail page
// never cached. Under `scripts/e2e --release` (E2E_BUILD=release) also the
// size budget: the bytes of JS + WASM a brotli-accepting browser downloads.
import http from "node:http";
import type { APIRequestContext, Page } from "@playwright/test";
import {
  ROADMAP,
  boardUrl,
  cardPath,
  expect,
  issueTicket,
  openFromBoard,
  ourConnectedCards,
  seededCard,
  test,
} from "./support/sandbox";

/** JS + WASM a browser accepting brotli downloads, at most (issue budget). */
const BUDGET_BROTLI_BYTES = 200_000;
const release = process.env.E2E_BUILD === "release";

type Raw = { status: number; headers: http.IncomingHttpHeaders; bytes: number };

/** GETs `path` and counts the bytes on the wire (no decoding). */
function rawGet(baseURL: string, path: string, acceptEncoding?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding };
    http
      .get(new URL(path, baseURL), { headers }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes }));
        response.on("error", reject);
      })
      .on("error", reject);
  });
}

/** The bundle's files the detail page links to (`/pkg/...`). */
async function bundlePaths(request: APIRequestContext): Promise<string[]> {
  const itemId = await seededCard(request, ROADMAP, "Payment provider migration");
  const page = await request.get(cardPath(ROADMAP, itemId, await issueTicket(request, ROADMAP, itemId)));
  expect(page.status()).toBe(200);
  const html = await page.text();
  return [...new Set([...html.matchAll(/\/pkg\/[^"'\s>]+/g)].map((m) => m[0]))];
}

test("the bundle comes compressed by Accept-Encoding, under hashed names cached for a year", async ({
  baseURL,
  request,
}) => {
  const paths = await bundlePaths(request);
  const scripts = paths.filter((p) => /\.(js|wasm)$/.test(p));
  expect(scripts.map((p) => p.split(".").pop()).sort()).toEqual(["js", "wasm"]);
  expect(paths.some((p) => p.endsWith(".css"))).toBe(true);

  let brotliTotal = 0;
  for (const path of paths) {
    // A content hash between the output name and the extension.
    expect(path).toMatch(/^\/pkg\/miro-cards\.[A-Za-z0-9_-]{6,}\.(js|wasm|css)$/);
    const br = await rawGet(baseURL!, path, "gzip, deflate, br");
    const gzip = await rawGet(baseURL!, path, "gzip");
    const identity = await rawGet(baseURL!, path);
    for (const answer of [br, gzip, identity]) {
      expect(answer.status, path).toBe(200);
      expect(answer.headers["cache-control"], path).toBe("public, max-age=31536000, immutable");
    }
    expect(br.headers["content-encoding"], path).toBe("br");
    expect(gzip.headers["content-encoding"], path).toBe("gzip");
    expect(identity.headers["content-encoding"], path).toBeUndefined();
    expect(gzip.bytes, `${path}: gzip is smaller than the file`).toBeLessThan(identity.bytes);
    // The release build's copies are brotli at its best; a debug build's
    // files are compressed as they go out, at a faster setting.
    if (release) expect(br.bytes, `${path}: brotli is smaller than gzip`).toBeLessThan(gzip.bytes);
    else expect(br.bytes, `${path}: brotli is smaller than the file`).toBeLessThan(identity.bytes);
    if (/\.(js|wasm)$/.test(path)) brotliTotal += br.bytes;
  }
  console.log(`JS + WASM as sent with brotli: ${brotliTotal} B (${release ? "release" : "debug"} build)`);
  if (release) expect(brotliTotal, "the detail view's JS + WASM budget").toBeLessThanOrEqual(BUDGET_BROTLI_BYTES);

  // Files whose names do not change with their content are revalidated.
  const script = await rawGet(baseURL!, "/tickets.js", "br");
  expect(script.status).toBe(200);
  expect(script.headers["cache-control"]).toBe("no-cache");
  expect(script.headers["last-modified"]).toBeTruthy();
});

test("the detail page is compressed and never stored", async ({ page, request }) => {
  const itemId = await seededCard(request, ROADMAP, "Payment provider migration");
  await page.goto(boardUrl(ROADMAP));
  const documentLoaded = page.waitForResponse(
    (response) =>
      response.request().resourceType() === "document" && new URL(response.url()).pathname.startsWith("/cards/"),
  );
  await openFromBoard(page, itemId);
  const response = await documentLoaded;
  const headers = await response.allHeaders();
  expect(headers["cache-control"]).toBe("no-store");
  expect(headers["content-encoding"]).toBe("br");
  // The first open downloaded the bundle; a second card opened in the same
  // browser downloads none of it again (transferSize 0: from the cache).
  expect(await downloadedBundle(page), "a cold open downloads the bundle").not.toEqual([]);
  await page.locator('[data-action="close-modal"]').click();
  const other = (await ourConnectedCards(request, ROADMAP)).find((card) => card.id !== itemId);
  expect(other, "a second connected card of ours").toBeTruthy();
  await openFromBoard(page, other!.id);
  expect(await downloadedBundle(page), "bundle files downloaded again on a warm open").toEqual([]);
});

/** The bundle files the open detail view fetched over the network. */
async function downloadedBundle(page: Page): Promise<string[]> {
  const frame = page.frames().find((f) => f.url().includes("/cards/"));
  expect(frame, "the detail view's frame").toBeTruthy();
  return frame!.evaluate(() =>
    performance
      .getEntriesByType("resource")
      .filter((entry) => entry.name.includes("/pkg/") && (entry as PerformanceResourceTiming).transferSize > 0)
      .map((entry) => entry.name),
  );
}

/** A panel ticket, got as the headless page gets one when the icon is clicked. */
async function panelPage(request: APIRequestContext, boardId: string): Promise<string> {
  const sdk = await request.post(`/sandbox/host/boards/${encodeURIComponent(boardId)}/sdk`, {
    data: { method: "board.getIdToken", args: [] },
  });
  const { result: idToken } = (await sdk.json()) as { result?: string };
  const ticket = await request.post("/miro/panel/tickets", {
    headers: { authorization: `Bearer ${idToken}` },
    data: { board_id: boardId },
  });
  expect(ticket.status(), await ticket.text()).toBe(200);
  const { ticket: value } = (await ticket.json()) as { ticket: string };
  const page = await request.get(`/panel/${encodeURIComponent(boardId)}?ticket=${encodeURIComponent(value)}`);
  expect(page.status()).toBe(200);
  return page.text();
}

test("the detail view and the panel each download only their own bundle", async ({ baseURL, request }) => {
  // The detail page names no file of the panel's bundle.
  const detail = await bundlePaths(request);
  expect(detail.filter((p) => /\.(js|wasm)$/.test(p)).length).toBe(2);
  const itemId = await seededCard(request, ROADMAP, "Payment provider migration");
  const detailHtml = await (await request.get(cardPath(ROADMAP, itemId, await issueTicket(request, ROADMAP, itemId)))).text();
  expect(detailHtml).not.toContain("/panel-pkg/");

  // The panel's page names its own JS and WASM, and none of the detail view's.
  const html = await panelPage(request, ROADMAP);
  const own = [...new Set([...html.matchAll(/\/panel-pkg\/[^"'\s>]+\.(?:js|wasm)/g)].map((m) => m[0]))];
  expect(own.map((p) => p.split(".").pop()).sort()).toEqual(["js", "wasm"]);
  for (const path of detail.filter((p) => /\.(js|wasm)$/.test(p))) expect(html).not.toContain(path);

  let brotliTotal = 0;
  for (const path of own) {
    expect(path).toMatch(/^\/panel-pkg\/miro-cards\.[A-Za-z0-9_-]{6,}\.(js|wasm)$/);
    const br = await rawGet(baseURL!, path, "gzip, deflate, br");
    expect(br.status, path).toBe(200);
    expect(br.headers["content-encoding"], path).toBe("br");
    expect(br.headers["cache-control"], path).toBe("public, max-age=31536000, immutable");
    brotliTotal += br.bytes;
  }
  console.log(`the panel's JS + WASM as sent with brotli: ${brotliTotal} B (${release ? "release" : "debug"} build)`);
  if (release) expect(brotliTotal, "the panel's JS + WASM budget").toBeLessThanOrEqual(BUDGET_BROTLI_BYTES);
  // A path that is no file of the bundle answers 404, never another file.
  expect((await rawGet(baseURL!, "/panel-pkg/../Cargo.toml")).status).toBe(404);
  expect((await rawGet(baseURL!, "/panel-pkg/miro-cards.nope.wasm")).status).toBe(404);
});
