// The panel, opened from the sandbox board's toolbar as a user opens it:
// finding records and adding 45 of them (three bulk calls, inside the
// viewport, with progress and a result per record, costing what the dry run
// said); creating a record; converting sticky notes with a fault on the
// second card (no note lost); and the board's sync health after injected
// failures, cleared by "Retry failed".
import type { APIRequestContext, Page } from "@playwright/test";
import {
  ROADMAP,
  SPRINT,
  accessToken,
  boardUrl,
  discover,
  expect,
  openPanel,
  test,
  watchProblems,
} from "./support/sandbox";

type Logged = { method: string; path: string; status: number; credits: number };
type Rect = { x: number; y: number; width: number; height: number };
type SdkWindow = {
  miro: {
    board: {
      viewport: { get(): Promise<Rect> };
      get(filter: { type: string }): Promise<{ id: string; x: number; y: number }[]>;
    };
  };
};

// Every test here puts cards on a shared board, and some inject faults: each
// runs alone (tests elsewhere click seeded cards these could cover) and
// takes its cards off the board again.
test.use({ sandboxAccess: "exclusive" });

/** Our app's REST access, for checking the board and cleaning up. */
async function rest(request: APIRequestContext) {
  const sandbox = await discover(request);
  const token = await accessToken(request, sandbox);
  const headers = { authorization: `Bearer ${token}` };
  const board = (boardId: string) => `${sandbox.rest_base}/v2/boards/${encodeURIComponent(boardId)}`;
  return {
    headers,
    board,
    /** Every app card on the board. */
    async appCards(boardId: string): Promise<Listed["data"]> {
      let listing = (await (await request.get(`${board(boardId)}/items?type=app_card&limit=50`, { headers })).json()) as Listed;
      let all = listing.data;
      while (listing.cursor) {
        const next = await request.get(
          `${board(boardId)}/items?type=app_card&limit=50&cursor=${encodeURIComponent(listing.cursor)}`,
          { headers },
        );
        listing = (await next.json()) as Listed;
        all = all.concat(listing.data);
      }
      return all;
    },
    /** Takes the app cards titled one of `titles` off the board. */
    async removeCards(boardId: string, titles: string[]): Promise<void> {
      for (const card of await this.appCards(boardId)) {
        if (titles.includes(card.data.title)) {
          await request.delete(`${board(boardId)}/app_cards/${card.id}`, { headers }).catch(() => undefined);
        }
      }
    },
  };
}

type Listed = { data: { id: string; data: { title: string }; position: { x: number; y: number } }[]; cursor?: string };

async function requestLog(request: APIRequestContext): Promise<Logged[]> {
  const response = await request.get("/sandbox/admin/requests");
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { requests: Logged[] }).requests;
}

/** Zooms the board out with its own buttons until it shows `level`. */
async function zoomOutTo(page: Page, level: string): Promise<void> {
  const shown = page.locator('[data-role="zoom-level"]');
  for (let i = 0; i < 10 && (await shown.innerText()) !== level; i++) {
    await page.locator('[data-action="zoom-out"]').click();
  }
  await expect(shown).toHaveText(level);
}

test("the toolbar opens the panel, and 45 records land in the viewport as the dry run said", async ({
  page,
  request,
}) => {
  test.setTimeout(90_000);
  const problems = watchProblems(page);
  const panel = await openPanel(page, SPRINT);
  await zoomOutTo(page, "25%");
  const frame = page.frames().find((f) => f.url().includes("/panel/"));
  expect(frame, "the panel's frame").toBeTruthy();
  const viewport = await frame!.evaluate(() => (window as unknown as SdkWindow).miro.board.viewport.get());

  // Find: by label, paged to the end.
  await panel.getByTestId("filter-label").selectOption("roadmap");
  await panel.getByTestId("search").click();
  await expect(panel.getByTestId("search-summary")).toHaveText("45 records match; 25 shown.");
  await panel.getByTestId("show-more").click();
  await expect(panel.getByTestId("result")).toHaveCount(45);
  await expect(panel.getByTestId("show-more")).toHaveCount(0);
  await expect(panel.getByTestId("result").first().getByTestId("card-preview")).toBeVisible();

  // The dry run, before anything is sent.
  await panel.getByTestId("select-all").click();
  const dryRun = panel.getByTestId("dry-run");
  await expect(dryRun).toHaveAttribute("data-cards", "45");
  await expect(dryRun).toHaveAttribute("data-calls", "3");
  await expect(dryRun).toHaveAttribute("data-credits", "4500");
  await expect(dryRun).toContainText("3 REST calls");
  const before = (await requestLog(request)).length;
  const titles = await panel.getByTestId("result").locator(".board-card__title").allInnerTexts();
  expect(titles).toHaveLength(45);
  const miro = await rest(request);
  try {
  await panel.getByTestId("add-cards").click();
  await expect(panel.getByTestId("progress-text")).toHaveText("45 of 45 sent");
  await expect(panel.getByTestId("progress")).toHaveAttribute("value", "45");
  const results = panel.getByTestId("import-result");
  await expect(results).toHaveCount(45);
  await expect(panel.locator('[data-testid="import-result"][data-outcome="added"]')).toHaveCount(45);

  // What it spent: three bulk calls to this board, charged as planned.
  const bulk = (await requestLog(request))
    .slice(before)
    .filter((r) => r.method === "POST" && r.path.endsWith("/items/bulk") && r.path.includes(encodeURIComponent(SPRINT)));
  expect(bulk.map((r) => r.status)).toEqual([201, 201, 201]);
  expect(bulk.reduce((sum, r) => sum + r.credits, 0)).toBe(4500);

  // The cards are on the board, inside the viewport the user had.
    expect((await results.locator(".panel-outcome__title").allInnerTexts()).sort()).toEqual([...titles].sort());
    const onBoard = await miro.appCards(SPRINT);
    for (const title of titles) {
      const card = onBoard.find((c) => c.data.title === title);
      expect(card, `a card titled ${title}`).toBeTruthy();
      const { x, y } = card!.position;
      expect(x - 160 >= viewport.x && x + 160 <= viewport.x + viewport.width, `${title} x ${x}`).toBe(true);
      expect(y - 100 >= viewport.y && y + 100 <= viewport.y + viewport.height, `${title} y ${y}`).toBe(true);
    }
    // And the board page draws them.
    await expect(page.getByText(titles[0], { exact: true })).toHaveCount(1);
  } finally {
    await miro.removeCards(SPRINT, titles);
  }
  expect(problems).toEqual([]);
});

test("a record created in the panel gets its card; an invalid one changes nothing", async ({ page, request }) => {
  const problems = watchProblems(page);
  const panel = await openPanel(page, ROADMAP);
  await panel.getByTestId("create").click();
  await expect(panel.getByTestId("create-title-error")).not.toBeEmpty();
  await expect(panel.getByTestId("create-error")).toContainText("nothing was created");

  const title = `Panel record ${Date.now()}`;
  await panel.getByTestId("create-title").fill(title);
  await panel.getByTestId("create-description").fill("Made from the **panel**");
  await panel.getByTestId("create-labels").fill("panel, e2e");
  await panel.getByTestId("create-assignee").fill("Grace");
  await panel.getByTestId("create").click();
  await expect(panel.getByTestId("create-done")).toContainText(title);
  await expect(panel.getByTestId("create-title-error")).toBeEmpty();
  await expect(page.locator(".item", { hasText: title })).toHaveCount(1);

  // It can be found at once.
  await panel.getByTestId("search-text").fill(title);
  await panel.getByTestId("search").click();
  await expect(panel.getByTestId("search-summary")).toHaveText("1 record matches.");
  await expect(panel.getByTestId("boards")).toHaveText("On 1 board");
  await (await rest(request)).removeCards(ROADMAP, [title]);
  expect(problems).toEqual([]);
});

test.describe("with faults injected", () => {
  test("three sticky notes convert with the second card failing, and none is lost", async ({ page, request }) => {
    const problems = watchProblems(page, [/status of 500/]);
    const sandbox = await discover(request);
    const token = await accessToken(request, sandbox);
    const auth = { authorization: `Bearer ${token}` };
    const notesUrl = `${sandbox.rest_base}/v2/boards/${encodeURIComponent(SPRINT)}/sticky_notes`;
    const texts = ["Call the supplier", "Book the venue", "Order badges"];
    const ids: string[] = [];
    for (const [i, text] of texts.entries()) {
      const made = await request.post(notesUrl, {
        headers: auth,
        data: { data: { content: `<p>${text}</p>` }, position: { x: -2600 + 260 * i, y: -1800 } },
      });
      expect(made.status(), await made.text()).toBe(201);
      ids.push(((await made.json()) as { id: string }).id);
    }
    try {
      const panel = await openPanel(page, SPRINT);
      // Nothing selected: a clear message, nothing sent.
      await panel.getByTestId("convert-stickies").click();
      await expect(panel.getByTestId("convert-error")).toContainText("Select sticky notes");

      for (const [i, id] of ids.entries()) {
        await page.locator(`[data-item-id="${id}"]`).click({ modifiers: i === 0 ? [] : ["Shift"] });
      }
      for (const id of ids) await expect(page.locator(`[data-item-id="${id}"]`)).toHaveAttribute("aria-selected", "true");
      const fault = await request.put("/sandbox/admin/faults", {
        data: { script: [{ method: "POST", path: "/v2/boards/{board_id}/app_cards", nth: 2, status: 500 }] },
      });
      expect(fault.status(), await fault.text()).toBe(200);

      await panel.getByTestId("convert-stickies").click();
      const results = panel.getByTestId("convert-result");
      await expect(results).toHaveCount(3);
      expect(await results.evaluateAll((items) => items.map((i) => i.getAttribute("data-outcome")))).toEqual([
        "added",
        "failed",
        "added",
      ]);
      await expect(results.nth(1)).toContainText("the note stays");
      // The first and third notes became cards; the second is still there.
      await expect(page.locator(`[data-item-id="${ids[0]}"]`)).toHaveCount(0);
      await expect(page.locator(`[data-item-id="${ids[2]}"]`)).toHaveCount(0);
      await expect(page.locator(`[data-item-id="${ids[1]}"]`)).toHaveCount(1);
      await expect(page.locator(".item", { hasText: "Call the supplier" })).toHaveCount(1);
      await expect(page.locator(".item", { hasText: "Order badges" })).toHaveCount(1);

      // Again, with the fault used up: the second converts too.
      await page.locator(`[data-item-id="${ids[1]}"]`).click();
      await panel.getByTestId("convert-stickies").click();
      await expect(results).toHaveCount(1);
      await expect(results.first()).toHaveAttribute("data-outcome", "added");
      await expect(page.locator(`[data-item-id="${ids[1]}"]`)).toHaveCount(0);
      await expect(page.locator(".item", { hasText: "Book the venue" })).toHaveCount(1);
    } finally {
      for (const id of ids) await request.delete(`${notesUrl}/${id}`, { headers: auth }).catch(() => undefined);
      await (await rest(request)).removeCards(SPRINT, texts);
    }
    expect(problems).toEqual([]);
  });

  test("the health view shows failed writes and 'Retry failed' clears them", async ({ page, request }) => {
    test.setTimeout(60_000);
    const problems = watchProblems(page, [/status of 500/]);
    const panel = await openPanel(page, ROADMAP);
    const inSync = Number(await panel.getByTestId("health-in-sync").innerText());
    expect(inSync).toBeGreaterThan(0);
    await expect(panel.getByTestId("health-failed")).toHaveText("0");

    // Miro fails every write; the board is written again.
    const fault = await request.put("/sandbox/admin/faults", { data: { rate_500: 1 } });
    expect(fault.status()).toBe(200);
    await panel.getByTestId("health-resync").click();
    await expect(panel.getByTestId("health-failed")).not.toHaveText("0", { timeout: 20_000 });
    await expect(panel.getByTestId("health-failure").first()).toContainText("attempts");

    // Miro recovers; retrying clears every failure.
    await request.put("/sandbox/admin/faults", { data: {} });
    await panel.getByTestId("health-retry").click();
    await expect(panel.getByTestId("health-failed")).toHaveText("0", { timeout: 20_000 });
    await expect(panel.getByTestId("health-syncing")).toHaveText("0", { timeout: 20_000 });
    // Every card that is still on the board is in sync again (a card
    // another test removed from the board is found gone and unlinked).
    const after = Number(await panel.getByTestId("health-in-sync").innerText());
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(inSync);
    expect(problems).toEqual([]);
  });
});
