// The sandbox's board page, as a person and the app see it: the seeded
// board draws its app cards, opening a connected card makes the app's
// headless page open the card's detail view in a modal, and a REST PATCH
// from the app's backend redraws the card at once, without a reload. A
// sticky note made through REST is drawn, selected with a card, and seen
// by the Web SDK's `getSelection` and `selection:update`; the zoom buttons
// and `viewport.setZoom` scale the board, and `viewport.get` follows.
// Everything the test needs (REST base, OAuth endpoints and credentials,
// boards) comes from the sandbox's discovery document.
import type { Frame, Page } from "@playwright/test";
// `test` from support takes the shared lock: no test injects faults meanwhile.
import { accessToken, appCardUrl, discover, expect, getAppCard, test } from "./support/sandbox";

async function drawnIds(page: Page, selector: string): Promise<string[]> {
  return page
    .locator(selector)
    .evaluateAll((elements) => elements.map((element) => element.getAttribute("data-item-id") ?? ""));
}

test("a connected card opens in the app's modal and a REST PATCH redraws it live", async ({
  page,
  request,
}, testInfo) => {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

  const sandbox = await discover(request);
  const token = await accessToken(request, sandbox);
  const boardId = sandbox.board_ids[0];
  expect(boardId, "the sandbox lists no board").toBeTruthy();

  await page.goto(sandbox.board_urls[0]);
  const appCards = page.locator('[data-item-type="app_card"]');
  await expect(appCards.first()).toBeVisible();
  // The app's headless page is loaded, hidden, as on Miro.
  await expect(page.locator('iframe[data-role="headless"]')).toHaveCount(1);

  // Only connected cards can be opened; disconnected ones offer to connect.
  const drawn = await drawnIds(page, '[data-item-type="app_card"]');
  const cards = await Promise.all(drawn.map((id) => getAppCard(request, sandbox, token, boardId, id)));
  const disconnected = cards.filter((card) => card.data?.status === "disconnected");
  expect(disconnected.length, "the seed board has a disconnected card").toBeGreaterThan(0);
  for (const card of cards) {
    const element = page.locator(`[data-item-id="${card.id}"]`);
    const expectedOpen = card.data?.status === "connected" ? 1 : 0;
    await expect(element.locator('[data-action="open"]'), `open on ${card.data?.status} card ${card.id}`).toHaveCount(expectedOpen);
  }
  for (const card of disconnected) {
    await expect(page.locator(`[data-item-id="${card.id}"] [data-action="connect"]`)).toHaveCount(1);
  }

  // A connected card with an open button, which our app owns (the board
  // also shows another app's cards, which our token may not change).
  const openable = await drawnIds(page, '[data-item-type="app_card"]:has([data-action="open"])');
  expect(openable.length, "no connected app card is drawn").toBeGreaterThan(0);
  const target = cards.find((card) => openable.includes(card.id) && card.data?.owned === true);
  expect(target, "no connected app card owned by our app").toBeTruthy();
  const itemId = target!.id;
  const card = page.locator(`[data-item-id="${itemId}"]`);

  // Opening the card: board -> headless page (app_card:open) -> openModal.
  await card.locator('[data-action="open"]').click();
  const modal = page.locator('iframe[data-role="modal"]');
  await expect(modal).toHaveCount(1);
  await expect(page.getByRole("dialog")).toHaveAttribute("aria-modal", "true");
  const src = await modal.getAttribute("src");
  const modalPath = new URL(src ?? "", page.url()).pathname;
  expect(modalPath.split("/").map(decodeURIComponent)).toEqual(["", "cards", boardId, itemId]);

  // The app's backend changes the card through REST: the board redraws it
  // from the live event stream, in the same page.
  await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
  const patch = await request.patch(appCardUrl(sandbox, boardId, itemId), {
    headers: { authorization: `Bearer ${token}` },
    data: { data: { title: "Changed through REST" } },
  });
  expect(patch.status(), await patch.text()).toBe(200);
  await expect(card).toContainText("Changed through REST");
  expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);

  // The modal closes from its close button and the board is usable again.
  await page.locator('[data-action="close-modal"]').click();
  await expect(modal).toHaveCount(0);
  await expect(card.locator('[data-action="open"]')).toBeVisible();

  await page.screenshot({ path: testInfo.outputPath("board.png") });
  expect(problems).toEqual([]);
});

// The part of the Web SDK the sticky-note test calls, as the stand-in
// defines it in the app's frames (`window.miro`).
type SdkItem = {
  id: string;
  type: string;
  content?: string;
  shape?: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  style?: { fillColor?: string };
};
type Rect = { x: number; y: number; width: number; height: number };
type SdkWindow = {
  miro: {
    board: {
      getSelection(): Promise<SdkItem[]>;
      ui: { on(event: "selection:update", handler: (event: { items: SdkItem[] }) => void): Promise<void> };
      viewport: { get(): Promise<Rect>; getZoom(): Promise<number>; setZoom(level: number): Promise<void> };
    };
  };
  selectionEvents: string[][];
};

/** The app's headless frame, once the SDK stand-in is loaded in it. */
async function headlessFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('iframe[data-role="headless"]').elementHandle();
  const frame = await handle?.contentFrame();
  expect(frame, "the headless iframe has no frame").toBeTruthy();
  await expect
    .poll(() => frame!.evaluate(() => typeof (window as unknown as Partial<SdkWindow>).miro?.board))
    .toBe("object");
  return frame!;
}

async function visibleRect(frame: Frame): Promise<Rect> {
  return frame.evaluate(() => (window as unknown as SdkWindow).miro.board.viewport.get());
}

async function sdkZoom(frame: Frame): Promise<number> {
  return frame.evaluate(() => (window as unknown as SdkWindow).miro.board.viewport.getZoom());
}

/** Board units are pixels at 100 %: a scroll position rounds to about one. */
function expectNear(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThan(2);
}

test("a REST sticky note is drawn, selected, seen by getSelection, and the zoom scales the board", async ({
  page,
  request,
}, testInfo) => {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

  const sandbox = await discover(request);
  const token = await accessToken(request, sandbox);
  // The sprint board: the other board test changes the roadmap's cards.
  const boardId = sandbox.board_ids[1];
  expect(boardId, "the sandbox lists a second board").toBeTruthy();
  const auth = { authorization: `Bearer ${token}` };
  const notes = `${sandbox.rest_base}/v2/boards/${encodeURIComponent(boardId)}/sticky_notes`;

  await page.goto(sandbox.board_urls[1]);
  await expect(page.locator('[data-role="live-status"]')).toHaveText("Live");
  const frame = await headlessFrame(page);
  await frame.evaluate(async () => {
    const w = window as unknown as SdkWindow;
    w.selectionEvents = [];
    await w.miro.board.ui.on("selection:update", ({ items }) => w.selectionEvents.push(items.map((i) => i.id)));
  });

  const created = await request.post(notes, {
    headers: auth,
    data: {
      data: { content: "<p>Idea from <strong>REST</strong></p>" },
      style: { fillColor: "light_pink", textAlign: "left" },
      position: { x: -420, y: 160 },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const noteId = ((await created.json()) as { id: string }).id;
  const noteUrl = `${notes}/${encodeURIComponent(noteId)}`;
  try {
    // Drawn live, with the attributes every item carries.
    const note = page.locator(`[data-item-id="${noteId}"]`);
    await expect(note).toHaveAttribute("data-item-type", "sticky_note");
    await expect(note).toHaveAttribute("role", "row");
    await expect(note).toHaveAttribute("aria-selected", "false");
    await expect(note).toHaveAttribute("data-fill-color", "light_pink");
    await expect(note).toHaveAttribute("aria-label", "Sticky note: Idea from REST");
    await expect(note).toContainText("Idea from REST");
    await expect(note.locator("strong")).toHaveText("REST");

    // Click selects it; Shift-click adds a card; the SDK sees both.
    const card = page.locator('[data-item-type="card"]').first();
    const cardId = (await card.getAttribute("data-item-id")) ?? "";
    expect(cardId, "the sprint board has a card").toBeTruthy();
    await note.click();
    await expect(note).toHaveAttribute("aria-selected", "true");
    await card.click({ modifiers: ["Shift"] });
    await expect(card).toHaveAttribute("aria-selected", "true");
    await expect(note).toHaveAttribute("aria-selected", "true");
    await expect(page.locator('[aria-selected="true"]')).toHaveCount(2);

    const selection = await frame.evaluate(() => (window as unknown as SdkWindow).miro.board.getSelection());
    expect(selection.map((item) => item.id).sort()).toEqual([noteId, cardId].sort());
    const seen = selection.find((item) => item.id === noteId);
    expect(seen).toMatchObject({
      type: "sticky_note",
      content: "<p>Idea from <strong>REST</strong></p>",
      shape: "square",
      x: -420,
      y: 160,
      width: 199,
      height: 228,
      style: { fillColor: "light_pink" },
    });
    await expect
      .poll(() => frame.evaluate(() => (window as unknown as SdkWindow).selectionEvents.at(-1)?.slice().sort()))
      .toEqual([noteId, cardId].sort());

    // A REST change redraws it in place, still selected.
    const patch = await request.patch(noteUrl, { headers: auth, data: { data: { content: "Changed through REST" } } });
    expect(patch.status(), await patch.text()).toBe(200);
    await expect(note).toContainText("Changed through REST");
    await expect(note).toHaveAttribute("aria-selected", "true");

    // Zoom: the buttons step, the SDK reads and sets it, and the visible
    // board area grows as the zoom shrinks, about the same middle.
    const level = page.locator('[data-role="zoom-level"]');
    await expect(level).toHaveText("100%");
    expect(await sdkZoom(frame)).toBe(1);
    const atFull = await visibleRect(frame);
    expect(atFull.width).toBeGreaterThan(0);
    await page.locator('[data-action="zoom-out"]').click();
    await expect(level).toHaveText("75%");
    expect(await sdkZoom(frame)).toBe(0.75);
    const atThreeQuarters = await visibleRect(frame);
    expectNear(atThreeQuarters.width, atFull.width / 0.75, "width at 75%");
    expectNear(atThreeQuarters.height, atFull.height / 0.75, "height at 75%");
    expectNear(atThreeQuarters.x + atThreeQuarters.width / 2, atFull.x + atFull.width / 2, "middle x");
    expectNear(atThreeQuarters.y + atThreeQuarters.height / 2, atFull.y + atFull.height / 2, "middle y");

    await frame.evaluate(() => (window as unknown as SdkWindow).miro.board.viewport.setZoom(0.25));
    await expect(level).toHaveText("25%");
    const atQuarter = await visibleRect(frame);
    expectNear(atQuarter.width, atFull.width * 4, "width at 25%");
    const box = await note.boundingBox();
    expect(box, "the note is drawn").toBeTruthy();
    expectNear(box!.width, 199 * 0.25, "drawn width at 25%");

    await page.locator('[data-action="zoom-in"]').click();
    await expect(level).toHaveText("50%");
    await level.click();
    await expect(level).toHaveText("100%");
    expect(await sdkZoom(frame)).toBe(1);

    await page.screenshot({ path: testInfo.outputPath("sticky-note.png") });

    // A REST delete takes it off the board and out of the selection.
    const removed = await request.delete(noteUrl, { headers: auth });
    expect(removed.status(), await removed.text()).toBe(204);
    await expect(note).toHaveCount(0);
    const left = await frame.evaluate(() => (window as unknown as SdkWindow).miro.board.getSelection());
    expect(left.map((item) => item.id)).toEqual([cardId]);
  } finally {
    // Never leave the note behind for other tests (404 once deleted above).
    await request.delete(noteUrl, { headers: auth }).catch(() => undefined);
  }
  expect(problems).toEqual([]);
});
