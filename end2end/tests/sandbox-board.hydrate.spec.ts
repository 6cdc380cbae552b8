// The sandbox's board page, as a person and the app see it: the seeded
// board draws its app cards, opening a connected card makes the app's
// headless page open the card's detail view in a modal, and a REST PATCH
// from the app's backend redraws the card at once, without a reload.
// Everything the test needs (REST base, OAuth endpoints and credentials,
// boards) comes from the sandbox's discovery document.
import type { Page } from "@playwright/test";
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
