// What the browser tests share: the sandbox's discovery document, a REST
// token for our app, the seeded cards, tickets as the app's headless page
// gets them, the board page with a card's detail view open in its modal,
// and a guard against the sandbox's fault plan.
//
// The fault plan (PUT /sandbox/admin/faults) is global to the one server a
// run shares, and tests run in parallel locally. So every test that talks
// to the sandbox takes a shared lock (automatically, through `test` from
// this file), and a test that injects faults takes it exclusively
// (`test.use({ sandboxAccess: "exclusive" })`): it waits until no other
// test is running, holds the others back while it runs, and clears the
// faults before it lets them go. The lock is a few files in the run's own
// folder (E2E_RUN_DIR, from scripts/e2e).
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  test as base,
  expect,
  type APIRequestContext,
  type FrameLocator,
  type Locator,
  type Page,
} from "@playwright/test";

export { expect };

export type Discovery = {
  rest_base: string;
  authorize_url: string;
  token_url: string;
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  team_id: string;
  user_id: string;
  board_ids: string[];
  board_urls: string[];
};

export type AppCardField = {
  value?: string;
  tooltip?: string;
  fillColor?: string;
  textColor?: string;
  iconUrl?: string;
  iconShape?: string;
};

export type AppCardItem = {
  id: string;
  type: "app_card" | string;
  data?: {
    title?: string;
    description?: string;
    status?: "connected" | "disconnected" | "disabled";
    owned?: boolean;
    fields?: AppCardField[];
  };
};

/** The sandbox's two seeded boards. */
export const ROADMAP = "uXjVSandbox1=";
export const SPRINT = "uXjVSandbox2=";

// ---- The lock around the fault plan -------------------------------------------

const lockDir = path.join(
  process.env.E2E_RUN_DIR ??
    path.join(tmpdir(), `miro-cards-e2e-${new URL(process.env.E2E_BASE_URL ?? "http://x").port}`),
  "sandbox-lock",
);
const exclusiveDir = path.join(lockDir, "exclusive");
const sharedDir = path.join(lockDir, "shared");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers this test as a user of the sandbox once no test holds it exclusively. */
async function acquireShared(): Promise<() => void> {
  mkdirSync(sharedDir, { recursive: true });
  for (;;) {
    while (existsSync(exclusiveDir)) await sleep(100);
    const mine = path.join(sharedDir, `${process.pid}-${randomUUID()}`);
    writeFileSync(mine, "");
    // An exclusive holder that arrived meanwhile waits for us to leave.
    if (!existsSync(exclusiveDir)) return () => rmSync(mine, { force: true });
    rmSync(mine, { force: true });
  }
}

/** Waits until this test alone uses the sandbox. */
async function acquireExclusive(): Promise<() => void> {
  mkdirSync(sharedDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(exclusiveDir);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      await sleep(100);
    }
  }
  while (readdirSync(sharedDir).length > 0) await sleep(100);
  return () => rmSync(exclusiveDir, { recursive: true, force: true });
}

export const test = base.extend<{ sandboxAccess: "shared" | "exclusive"; sandboxLock: void }>({
  sandboxAccess: ["shared", { option: true }],
  sandboxLock: [
    async ({ sandboxAccess, request }, use) => {
      const release = sandboxAccess === "exclusive" ? await acquireExclusive() : await acquireShared();
      try {
        await use();
      } finally {
        if (sandboxAccess === "exclusive") {
          // Never leave faults behind for the next test, whatever happened.
          await request.put("/sandbox/admin/faults", { data: {} }).catch(() => undefined);
        }
        release();
      }
    },
    // Waiting for the lock does not eat into the test's own time.
    { auto: true, timeout: 180_000 },
  ],
});

/** Sets the sandbox's fault plan (`{}` clears it). */
export async function setFaults(request: APIRequestContext, plan: Record<string, number>): Promise<void> {
  const response = await request.put("/sandbox/admin/faults", { data: plan });
  expect(response.status(), await response.text()).toBe(200);
}

// ---- Discovery, REST and the seeded cards --------------------------------------

export async function discover(request: APIRequestContext): Promise<Discovery> {
  const response = await request.get("/.well-known/miro-sandbox");
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as Discovery;
}

/** An access token for our app, through the authorization-code grant over plain HTTP. */
export async function accessToken(request: APIRequestContext, sandbox: Discovery): Promise<string> {
  const authorize = new URL(sandbox.authorize_url);
  authorize.searchParams.set("response_type", "code");
  authorize.searchParams.set("client_id", sandbox.client_id);
  authorize.searchParams.set("redirect_uri", sandbox.redirect_uri);
  authorize.searchParams.set("state", "e2e");
  const redirect = await request.get(authorize.href, { maxRedirects: 0 });
  expect(redirect.status()).toBe(302);
  const code = new URL(redirect.headers()["location"] ?? "", authorize).searchParams.get("code");
  expect(code, "authorize gave no code").toBeTruthy();
  const token = await request.post(sandbox.token_url, {
    form: {
      grant_type: "authorization_code",
      code: code ?? "",
      client_id: sandbox.client_id,
      client_secret: sandbox.client_secret,
      redirect_uri: sandbox.redirect_uri,
    },
  });
  expect(token.status(), await token.text()).toBe(200);
  const { access_token } = (await token.json()) as { access_token?: string };
  expect(access_token).toBeTruthy();
  return access_token ?? "";
}

/** An app card as Miro's REST API returns it to our app. */
/** Where our app reads and changes one app card through REST. */
export function appCardUrl(sandbox: Discovery, boardId: string, itemId: string): string {
  return `${sandbox.rest_base}/v2/boards/${encodeURIComponent(boardId)}/app_cards/${encodeURIComponent(itemId)}`;
}

export async function getAppCard(
  request: APIRequestContext,
  sandbox: Discovery,
  token: string,
  boardId: string,
  itemId: string,
): Promise<AppCardItem> {
  const response = await request.get(appCardUrl(sandbox, boardId, itemId), {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as AppCardItem;
}

/** The text of Miro's title or description HTML. */
export function plainText(html: string | undefined): string {
  return (html ?? "")
    .replace(/<[^>]*>/g, " ")
    .replace(/&amp;/g, "&")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, " ")
    .trim();
}

/** The connected app cards of ours on `boardId`, as the board page loads them. */
export async function ourConnectedCards(request: APIRequestContext, boardId: string): Promise<AppCardItem[]> {
  const response = await request.get(`/sandbox/host/boards/${encodeURIComponent(boardId)}/items`);
  expect(response.status(), await response.text()).toBe(200);
  const { items } = (await response.json()) as { items: AppCardItem[] };
  return items.filter(
    (item) => item.type === "app_card" && item.data?.owned === true && item.data?.status === "connected",
  );
}

/**
 * The id of the seeded app card of ours titled `title` on `boardId`, as the
 * board page loads it. Each test that changes a card picks one by its
 * seeded title, and only that test changes that card's title.
 */
export async function seededCard(request: APIRequestContext, boardId: string, title: string): Promise<string> {
  const found = (await ourConnectedCards(request, boardId)).filter((item) => plainText(item.data?.title) === title);
  expect(found.map((item) => item.id), `one connected card of ours titled "${title}" on ${boardId}`).toHaveLength(1);
  return found[0].id;
}

/**
 * A one-time ticket for a card, got exactly as the app's headless page gets
 * one: an ID token from the Web SDK (here the sandbox's host, which the SDK
 * stand-in calls), traded at POST /miro/tickets.
 */
export async function issueTicket(request: APIRequestContext, boardId: string, itemId: string): Promise<string> {
  const sdk = await request.post(`/sandbox/host/boards/${encodeURIComponent(boardId)}/sdk`, {
    data: { method: "board.getIdToken", args: [] },
  });
  expect(sdk.status(), await sdk.text()).toBe(200);
  const { result: idToken } = (await sdk.json()) as { result?: string };
  expect(idToken, "the SDK gave no ID token").toBeTruthy();
  const response = await request.post("/miro/tickets", {
    headers: { authorization: `Bearer ${idToken}` },
    data: { board_id: boardId, item_id: itemId },
  });
  expect(response.status(), await response.text()).toBe(200);
  const { ticket } = (await response.json()) as { ticket?: string };
  expect(ticket, "no ticket").toBeTruthy();
  return ticket ?? "";
}

/** The REST writes (PATCH) of one item the sandbox has served so far, with their statuses. */
export async function cardWrites(request: APIRequestContext, itemId: string): Promise<number[]> {
  const response = await request.get("/sandbox/admin/requests");
  expect(response.status(), await response.text()).toBe(200);
  const { requests } = (await response.json()) as {
    requests: { method: string; path: string; status: number }[];
  };
  return requests
    .filter((r) => r.method === "PATCH" && r.path.split("/").includes(itemId))
    .map((r) => r.status);
}

export function cardPath(boardId: string, itemId: string, ticket: string): string {
  return `/cards/${encodeURIComponent(boardId)}/${encodeURIComponent(itemId)}?ticket=${encodeURIComponent(ticket)}`;
}

// ---- Pages ----------------------------------------------------------------------

/**
 * Collects page errors and console errors from the page and its frames.
 * `ignore` drops console messages a test expects (e.g. the browser's own
 * report of a refused document's 401).
 */
export function watchProblems(page: Page, ignore: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (ignore.some((pattern) => pattern.test(text))) return;
    const where = message.location().url;
    problems.push(`console error: ${text}${where ? ` (${where})` : ""}`);
  });
  return problems;
}

export function boardUrl(boardId: string): string {
  return `/sandbox/boards/${encodeURIComponent(boardId)}`;
}

/** Clicks the app's icon in the toolbar; resolves with the hydrated panel. */
export async function openPanel(page: Page, boardId: string): Promise<FrameLocator> {
  await page.goto(boardUrl(boardId));
  await page.locator('[data-action="app-icon"]').click();
  const panel = page.frameLocator('iframe[data-role="panel"]');
  await expect(panel.getByRole("heading", { name: "Find records" })).toBeVisible();
  await expect(panel.locator("body")).toHaveAttribute("data-hydrated", "true");
  return panel;
}

/** The board's drawing of a card, outside any modal. */
export function boardCard(page: Page, itemId: string): Locator {
  return page.locator(`[data-item-id="${itemId}"]`);
}

/** The texts of the preview chips the board draws on a card. */
export async function boardChips(page: Page, itemId: string): Promise<string[]> {
  return boardCard(page, itemId).locator(".field-chip .field-value").allInnerTexts();
}

/** The detail view in the board's modal. */
export function modalView(page: Page): FrameLocator {
  return page.frameLocator('iframe[data-role="modal"]');
}

/**
 * Clicks a card's open icon on the board (the board page must be loaded):
 * the headless page gets a ticket and opens the detail view in the modal.
 * Resolves once the view is there (and hydrated, unless `hydrated` is false).
 */
export async function openFromBoard(
  page: Page,
  itemId: string,
  { hydrated = true }: { hydrated?: boolean } = {},
): Promise<FrameLocator> {
  await boardCard(page, itemId).locator('[data-action="open"]').click();
  await expect(page.locator('iframe[data-role="modal"]')).toHaveCount(1);
  const view = modalView(page);
  await expect(view.getByTestId("card-editor")).toBeVisible();
  if (hydrated) await expect(view.locator("body")).toHaveAttribute("data-hydrated", "true");
  return view;
}

/** The texts of the chips in the view's live preview. */
export function previewChips(view: FrameLocator): Locator {
  return view.getByTestId("card-preview").locator(".chip .chip__value");
}

/** The version number the view shows ("Version N"). */
export async function shownVersion(view: FrameLocator): Promise<number> {
  const text = await view.getByTestId("version").innerText();
  const match = /Version (\d+)/.exec(text);
  expect(match, `version text "${text}"`).toBeTruthy();
  return Number(match![1]);
}
